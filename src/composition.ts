import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { TenantBoundCredential } from './auth/tenantBoundCredential';
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
export function composeApp(
  config: Config,
  credentialFor: (tenantId?: string) => TokenCredential = (tenantId) => new DefaultAzureCredential({ tenantId, authorityHost: config.authorityHost }),
): App {
  // State lives in the app's own subscription, so its credential is the home tenant's.
  const state: StateStore = config.stateStorage ? new TableStateStore(config.stateStorage, credentialFor()) : new StatelessStore();
  return {
    state,
    async scan(request, progress) {
      const credential = new TenantBoundCredential(credentialFor(request.tenantId), request.tenantId);
      // Fresh counters and pacing per scan, so each result reports its own requests.
      const graphStats: GraphStats = { total: 0, throttled: 0 };
      const graphOrigin = new URL(config.graphEndpoint).origin;
      const client = createGraphClient(credential, {
        graphEndpoint: config.graphEndpoint,
        auditRequestsPer10s: config.auditRequestsPer10s,
        maxAttempts: config.graphMaxAttempts,
        stats: graphStats,
      });
      return scanTenant(
        {
          auditLog: new GraphAuditLogReader(client, graphOrigin),
          directory: new GraphDirectoryReader(client, graphOrigin, {
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
