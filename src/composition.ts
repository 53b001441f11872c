import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from './config';
import { GraphAuditLogReader } from './graph/auditLogReader';
import { GraphDirectoryReader } from './graph/directoryReader';
import { createGraphClient } from './graph/graphClient';
import type { GraphStats } from './graph/resilienceHandler';
import { scanTenant, type ScanRequest, type ScanResult } from './scan/scanTenant';
import { BUILT_IN_SIGNATURES } from './scan/signatures';
import type { StateStore } from './state/ports';
import { StatelessStore } from './state/statelessStore';
import { TableStateStore } from './state/tableStateStore';

export interface App {
  state: StateStore;
  scan(request: ScanRequest, progress?: (message: string) => void): Promise<ScanResult>;
}

/**
 * The one place that picks implementations. DefaultAzureCredential, unchanged: managed identity in
 * Azure (IDENTITY_ENDPOINT/IDENTITY_HEADER on App Service and Functions), `az login` on a laptop,
 * AZURE_CLIENT_ID/SECRET/TENANT_ID in pipelines.
 */
export function composeApp(config: Config, credential: TokenCredential = new DefaultAzureCredential({ authorityHost: config.authorityHost })): App {
  const state: StateStore = config.stateStorage ? new TableStateStore(config.stateStorage, credential) : new StatelessStore();
  return {
    state,
    async scan(request, progress) {
      // Fresh counters and pacing per scan, so each result reports its own requests.
      const graphStats: GraphStats = { total: 0, throttled: 0 };
      const client = createGraphClient(credential, {
        graphEndpoint: config.graphEndpoint,
        auditRequestsPer10s: config.auditRequestsPer10s,
        maxAttempts: config.graphMaxAttempts,
        stats: graphStats,
      });
      return scanTenant(
        {
          auditLog: new GraphAuditLogReader(client),
          directory: new GraphDirectoryReader(client, {
            maxAttempts: config.graphMaxAttempts,
            stats: graphStats,
            backoff: { baseMs: 500, capMs: 30_000 },
          }),
          state,
          // Operator rules first: they may refine or override the built-in ones.
          signatures: [...config.extraSignatures, ...BUILT_IN_SIGNATURES],
          graphStats,
          lookbackMs: config.lookbackMs,
          overlapMs: config.overlapMs,
          progress,
        },
        request,
      );
    },
  };
}
