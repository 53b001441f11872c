import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createLocalCertificate } from './certificate';
import { armJobs, buildArmServer, type ArmJob } from './arm/armServer';
import { buildGraphServer } from './graphServer';
import { startIngestion, type Envelope } from './ingestion/ingestionServer';
import { buildTicketServer, type TicketFakes } from './tickets/ticketServer';
import { buildKeyVaultServer, FakeKeyVault } from './keyvault/keyVaultServer';
import type { RequestLogEntry } from './requestLog';
import { loadScenario, listScenarios, resolveScenario } from './scenarioFiles';
import type { PolicyState, Scenario, ValidScenario } from './scenarioSchema';
import { TenantState } from './tenantState';
import { emulatorSecretsIn, SECRET_MARKER, TOKEN_MARKER } from './tokens';
import { buildTokenServer, managedIdentityObjectId } from './tokenServer';
import { buildLoginServer, type ApiTokenRequest } from './login/loginServer';
import { createFleetApp } from './login/fleetApp';
import { Tenants } from './tenants';
import { TokenRegistry } from './tokens';
import { fleetScenarios, type FleetOptions } from './fleet';

export type {
  ApiTokenRequest,
  ArmJob,
  Envelope,
  PolicyState,
  RequestLogEntry,
  Scenario,
  TicketFakes,
  ValidScenario,
};
export { loadScenario, listScenarios, fleetScenarios, type FleetOptions, FakeKeyVault };

export interface StartOptions {
  /** A scenario object, the name of emulator/scenarios/<name>.json, or a path to a scenario file. */
  scenario: Scenario | string;
  /** The clock scenario times are relative to; defaults to the start time. */
  now?: Date;
  /**
   * More tenants in the same emulator (issue 15): each reached with a token from its own
   * client-credentials endpoint (`{loginUrl}/{tenant}/oauth2/v2.0/token`), each with its own audit
   * throttle, and all under Graph's limit per app across tenants.
   */
  fleet?: {
    tenants: Scenario[];
    /** Audit-log requests per 10 s across every tenant (Graph: 122); 0 turns it off. Default 122. */
    appRequestsPer10s?: number;
    /** Tenants that never consented to the app: their token endpoint refuses it (AADSTS700016). */
    withoutConsent?: string[];
    /**
     * The subject of the app's federated identity credential; default: the emulated managed identity's
     * object id, so its token is accepted. Anything else is a misconfigured trust (AADSTS700213).
     */
    federatedSubject?: string;
  };
  /** The deployment's Key Vault (issue 15): secrets by name, each value carrying SECRET_MARKER. */
  keyVault?: { secrets?: Record<string, string> };
}

/**
 * The multi-tenant app a fleet signs in as against `loginUrl`, with any of its three credentials: the
 * client secret, the certificate, or the managed identity's token (federated identity credential).
 */
export interface FleetSignIn {
  clientId: string;
  /** Carries SECRET_MARKER: a leak fails the test that made it. */
  clientSecret: string;
  /** A PEM file with the app's registered certificate and its private key. */
  certificatePath: string;
  /** The user-assigned managed identity (the MSI endpoint's) whose token the federated credential trusts. */
  managedIdentityClientId: string;
  /** That identity's object id: the subject a correct federated credential names. */
  managedIdentityObjectId: string;
  /** The subject the app's federated credential actually names. */
  federatedSubject: string;
  tenantIds: string[];
}

export interface RunningEmulator {
  /** 'https://127.0.0.1:<port>'; Graph lives under /v1.0 and /beta. */
  graphUrl: string;
  /** 'https://127.0.0.1:<port>': Azure Resource Manager (Automation jobs), for ARM_ENDPOINT. */
  armUrl: string;
  /** 'https://127.0.0.1:<port>': ServiceNow, Jira, Azure DevOps, GitHub and webhook fakes under their own path prefixes. */
  ticketsUrl: string;
  tickets: TicketFakes;
  /** 'https://127.0.0.1:<port>/': the fake Key Vault, for KEY_VAULT_URI. */
  keyVaultUri: string;
  /** Its secrets, whether the app may read them (`allowed`), and what it was asked. */
  keyVault: FakeKeyVault;
  /** Every runbook job the Automation fake created, in creation order. */
  automationJobs(): ArmJob[];
  /** An Application Insights connection string whose IngestionEndpoint is the emulator's fake. */
  telemetryConnectionString: string;
  /** Every telemetry envelope the app sent there. */
  telemetry: Envelope[];
  /** App Service style managed-identity endpoint (plain http). */
  tokenEndpoint: string;
  /** 'https://127.0.0.1:<port>': the sign-in endpoint's key set and OpenID configuration, for API_AUTHORITY_HOST. */
  loginUrl: string;
  /** An access token for the app's own API, as Entra ID would issue it to a caller (roles, oid, tenant). */
  signApiToken(request: ApiTokenRequest): Promise<string>;
  /** The value clients must send in X-IDENTITY-HEADER. */
  identityHeader: string;
  /** PEM of the self-signed certificate, for NODE_EXTRA_CA_CERTS or an https `ca` option. */
  caCertPath: string;
  /** Every issued access_token contains this (and every other emulator secret SECRET_MARKER), so tests can look for leaks. */
  tokenMarker: string;
  now: Date;
  /** Every request received, in order, including $batch items and token requests. */
  requests: RequestLogEntry[];
  releaseLateEvents(): void;
  /** How many requests `hold` faults have caught (each waits until releaseHeld()). */
  heldRequests(): number;
  /** Answers every request a `hold` fault holds, and lets later ones through at once. */
  releaseHeld(): void;
  setPolicy(value: PolicyState): void;
  /** Set when started with `fleet`: how its tenants sign in. */
  fleet?: FleetSignIn;
  stop(): Promise<void>;
}

export async function startEmulator(options: StartOptions): Promise<RunningEmulator> {
  const scenario = resolveScenario(options.scenario);
  const now = options.now ?? new Date();
  const shared = { tokens: new TokenRegistry(), requests: [] as RequestLogEntry[] };
  const tenant = new TenantState(scenario, now, shared);
  const others = (options.fleet?.tenants ?? []).map(
    (other) => new TenantState(resolveScenario(other), now, shared),
  );
  const tenants = new Tenants(tenant, others, options.fleet ? (options.fleet.appRequestsPer10s ?? 122) : 0);
  const identityHeader = `${SECRET_MARKER}${randomBytes(16).toString('hex')}`;
  const certificate = await createLocalCertificate();
  const fleetApp =
    options.fleet &&
    (await createFleetApp(certificate.dir, {
      clientId: '00000000-0000-4000-8000-00000000f1ee',
      clientSecret: `${SECRET_MARKER}${randomBytes(16).toString('hex')}`,
      withoutConsent: new Set((options.fleet.withoutConsent ?? []).map((id) => id.toLowerCase())),
      federatedSubject: options.fleet.federatedSubject ?? managedIdentityObjectId(tenant),
    }));

  const { app: graph, listeningOn } = buildGraphServer(tenants, certificate);
  const login = buildLoginServer(tenants, certificate, fleetApp);
  const token = buildTokenServer(tenant, identityHeader, (request) =>
    login.signManagedIdentityToken(request),
  );
  const arm = buildArmServer(tenant, certificate);
  const tickets = buildTicketServer(certificate);
  const keyVault = new FakeKeyVault(options.keyVault?.secrets);
  const vault = buildKeyVaultServer(certificate, keyVault, shared.tokens, tenant.scenario.tenantId);
  const servers = [graph, token, arm, tickets.app, login.app, vault.app];
  let ingestion: Awaited<ReturnType<typeof startIngestion>> | undefined;
  try {
    for (const server of servers) await server.listen({ host: '127.0.0.1', port: 0 });
    ingestion = await startIngestion(certificate);
  } catch (err) {
    await Promise.allSettled(servers.map((server) => server.close()));
    fs.rmSync(certificate.dir, { recursive: true, force: true });
    throw err;
  }
  const graphPort = (graph.server.address() as AddressInfo).port;
  listeningOn(graphPort);
  for (const each of tenants.all) each.graphUrl = `https://127.0.0.1:${graphPort}`;
  const loginUrl = `https://127.0.0.1:${(login.app.server.address() as AddressInfo).port}`;
  login.setUrl(loginUrl);
  const keyVaultUri = `https://127.0.0.1:${(vault.app.server.address() as AddressInfo).port}/`;
  vault.setUrl(keyVaultUri.replace(/\/$/, ''));

  let stopped = false;
  return {
    graphUrl: tenant.graphUrl,
    armUrl: `https://127.0.0.1:${(arm.server.address() as AddressInfo).port}`,
    ticketsUrl: `https://127.0.0.1:${(tickets.app.server.address() as AddressInfo).port}`,
    tickets: tickets.fakes,
    keyVaultUri,
    keyVault,
    automationJobs: () => armJobs(tenant),
    telemetryConnectionString: `InstrumentationKey=00000000-0000-4000-8000-0000000000a1;IngestionEndpoint=${ingestion.url}`,
    telemetry: ingestion.envelopes,
    tokenEndpoint: `http://127.0.0.1:${(token.server.address() as AddressInfo).port}/msi/token`,
    identityHeader,
    loginUrl,
    signApiToken: (request) => login.signApiToken(request),
    caCertPath: certificate.certPath,
    tokenMarker: TOKEN_MARKER,
    now,
    requests: tenant.requests,
    releaseLateEvents: () => tenant.timeline.releaseLateEvents(),
    heldRequests: () => tenant.faults.heldCount,
    releaseHeld: () => tenant.faults.release(),
    setPolicy: (value) => {
      tenant.policy = value;
    },
    fleet: fleetApp && {
      clientId: fleetApp.clientId,
      clientSecret: fleetApp.clientSecret,
      certificatePath: fleetApp.certificate.path,
      managedIdentityClientId: tenant.managedIdentityClientId,
      managedIdentityObjectId: managedIdentityObjectId(tenant),
      federatedSubject: fleetApp.federatedSubject,
      tenantIds: others.map((other) => other.scenario.tenantId),
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const each of tenants.all) each.faults.release();
      await Promise.allSettled([...servers.map((server) => server.close()), ingestion.stop()]);
      fs.rmSync(certificate.dir, { recursive: true, force: true });
      // Whatever the test asserted, a token or secret in telemetry or in a ticket fails it.
      const leaked = [
        ...emulatorSecretsIn(JSON.stringify(ingestion.envelopes)).map((hit) => `${hit} in telemetry`),
        ...emulatorSecretsIn(
          JSON.stringify(tickets.fakes.requests.map((request) => request.body ?? null)),
        ).map((hit) => `${hit} in a ticket request body`),
      ];
      if (leaked.length > 0) throw new Error(`Secret hygiene: ${leaked.join('; ')}`);
    },
  };
}
