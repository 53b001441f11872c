import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createLocalCertificate } from './certificate';
import { buildGraphServer } from './graphServer';
import type { RequestLogEntry } from './requestLog';
import { loadScenario, listScenarios, resolveScenario } from './scenarioFiles';
import type { PolicyState, Scenario, ValidScenario } from './scenarioSchema';
import { TenantState } from './tenantState';
import { TOKEN_MARKER } from './tokens';
import { buildTokenServer } from './tokenServer';

export type { PolicyState, RequestLogEntry, Scenario, ValidScenario };
export { loadScenario, listScenarios };

export interface StartOptions {
  /** A scenario object, the name of emulator/scenarios/<name>.json, or a path to a scenario file. */
  scenario: Scenario | string;
  /** The clock scenario times are relative to; defaults to the start time. */
  now?: Date;
}

export interface RunningEmulator {
  /** 'https://127.0.0.1:<port>'; Graph lives under /v1.0 and /beta. */
  graphUrl: string;
  /** App Service style managed-identity endpoint (plain http). */
  tokenEndpoint: string;
  /** The value clients must send in X-IDENTITY-HEADER. */
  identityHeader: string;
  /** PEM of the self-signed certificate, for NODE_EXTRA_CA_CERTS or an https `ca` option. */
  caCertPath: string;
  /** Every issued access_token contains this, so tests can look for leaked tokens. */
  tokenMarker: string;
  now: Date;
  /** Every request received, in order, including $batch items and token requests. */
  requests: RequestLogEntry[];
  releaseLateEvents(): void;
  setPolicy(value: PolicyState): void;
  stop(): Promise<void>;
}

export async function startEmulator(options: StartOptions): Promise<RunningEmulator> {
  const scenario = resolveScenario(options.scenario);
  const now = options.now ?? new Date();
  const tenant = new TenantState(scenario, now);
  const identityHeader = randomBytes(16).toString('hex');
  const certificate = await createLocalCertificate();

  const { app: graph, listeningOn } = buildGraphServer(tenant, certificate);
  const token = buildTokenServer(tenant, identityHeader);
  try {
    await graph.listen({ host: '127.0.0.1', port: 0 });
    await token.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await Promise.allSettled([graph.close(), token.close()]);
    fs.rmSync(certificate.dir, { recursive: true, force: true });
    throw err;
  }
  const graphPort = (graph.server.address() as AddressInfo).port;
  listeningOn(graphPort);
  tenant.graphUrl = `https://127.0.0.1:${graphPort}`;

  let stopped = false;
  return {
    graphUrl: tenant.graphUrl,
    tokenEndpoint: `http://127.0.0.1:${(token.server.address() as AddressInfo).port}/msi/token`,
    identityHeader,
    caCertPath: certificate.certPath,
    tokenMarker: TOKEN_MARKER,
    now,
    requests: tenant.requests,
    releaseLateEvents: () => tenant.timeline.releaseLateEvents(),
    setPolicy: (value) => {
      tenant.policy = value;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([graph.close(), token.close()]);
      fs.rmSync(certificate.dir, { recursive: true, force: true });
    },
  };
}
