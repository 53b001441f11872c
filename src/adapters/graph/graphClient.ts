import type { TokenCredential } from '@azure/identity';
import { AuthenticationHandler, Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { SlidingWindowPacer } from './pacer';
import type { AuditBudget } from '../../usecases/ports/auditBudget';
import type { GraphStats } from '../../usecases/ports/graph';
import { ResilienceHandler } from './resilienceHandler';

export interface GraphClientOptions {
  graphEndpoint: string;
  /** The cloud's Graph origin the token is for (the scope is `{audience}/.default`), whatever graphEndpoint says. */
  audience: string;
  auditRequestsPer10s: number;
  maxAttempts: number;
  stats: GraphStats;
  /** With FLEET_AUDIT_REQUESTS_PER_10S: every audit-log request also takes a share of the app's allowance across tenants. */
  fleetBudget?: { budget: AuditBudget; tenantId: string };
  /** Only tests of the retry policy shorten this; production keeps the default. */
  backoffBaseMs?: number;
  /** Only tests shorten this; production keeps GRAPH_ATTEMPT_TIMEOUT_MS. */
  attemptTimeoutMs?: number;
}

/**
 * The Graph SDK client with our middleware. The SDK only attaches the token to https hosts it
 * knows, so a sovereign-cloud or emulator endpoint is registered as a custom host (name, no port).
 */
export function createGraphClient(credential: TokenCredential, options: GraphClientOptions): Client {
  const endpoint = new URL(options.graphEndpoint);
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: [`${new URL(options.audience).origin}/.default`],
  });
  const resilience = new ResilienceHandler({
    maxAttempts: options.maxAttempts,
    auditPacer: new SlidingWindowPacer(options.auditRequestsPer10s),
    fleetBudget: options.fleetBudget,
    stats: options.stats,
    backoff: { baseMs: options.backoffBaseMs ?? 500, capMs: 30_000 },
    attemptTimeoutMs: options.attemptTimeoutMs,
  });
  return Client.initWithMiddleware({
    baseUrl: endpoint.origin,
    defaultVersion: 'v1.0',
    customHosts: new Set([endpoint.hostname]),
    middleware: [resilience, new AuthenticationHandler(authProvider), new HTTPMessageHandler()],
  });
}
