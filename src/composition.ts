import { hostname } from 'node:os';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ActionDependencies } from './usecases/incidentActions';
import { saferMode, type ActionMode } from './core/modes';
import type { TenantRegistry, TicketRouting } from './usecases/ports/tenants';
import { scanFleet, type FleetRun } from './usecases/scanFleet';
import { approveIncident } from './usecases/incidentActions';
import { createActionAdapters } from './adapters/actionAdapters';
import { TICKET_ATTEMPT_TIMEOUT_MS } from './adapters/tickets/ticketHttp';
import { TenantBoundCredential } from './adapters/auth/tenantBoundCredential';
import { tenantCredentials, type TenantCredentials } from './adapters/auth/fleetCredential';
import type { Config } from './config/config';
import { toAppError } from './errors';
import { createTelemetry } from './adapters/telemetry/telemetry';
import { GraphAuditLogReader } from './adapters/graph/auditLogReader';
import { GraphDirectoryReader } from './adapters/graph/directoryReader';
import { createGraphClient } from './adapters/graph/graphClient';
import type { GraphStats } from './usecases/ports/graph';
import { scanTenant, type ScanRequest, type ScanResult } from './usecases/scanTenant';
import { BUILT_IN_SIGNATURES } from './core/signatures';
import type { StateStore, StoredIncident } from './usecases/ports/state';
import { StatelessStore } from './adapters/storage/statelessStore';
import { TableStateStore } from './adapters/storage/tableStateStore';
import { FencedStateStore } from './usecases/fencedState';
import { TenantLease } from './adapters/storage/tenantLease';
import type { Lease } from './usecases/ports/leases';
import { withTenantLease } from './usecases/tenantLease';
import { ApiCallerVerifier } from './adapters/auth/apiCaller';
import { ScanQueue } from './adapters/storage/scanQueue';
import { ScanRequests } from './adapters/storage/scanRequests';
import { checkServiceSettings } from './config/serviceSettings';

export { checkServiceSettings };
import { loadTelemetrySettings } from './config/telemetry';
import { settingsError } from './config/settingValues';
import type { FunctionsSettings } from './config/functionsSettings';
import type { QueuedScanDependencies } from './usecases/queuedScan';
import type { Telemetry } from './usecases/ports/telemetry';
import { TableAuditBudget, type BudgetStats } from './adapters/storage/tableAuditBudget';
import { TableTenantRegistry } from './adapters/storage/tableTenantRegistry';
import { SettingsTenantRegistry } from './adapters/storage/settingsTenantRegistry';
import { checkTenant, seedRegistry, type TenantCheck } from './usecases/tenantRegistry';
import { GraphAccessProbe } from './adapters/graph/accessProbe';

/**
 * How long a request sent by a holder that then lost the tenant may still land: one ticket attempt
 * (the longest non-idempotent write we send) plus a margin for a slow server. Runbook jobs are PUT
 * under a deterministic name and the Graph fix is idempotent, so only tickets set this.
 */
const IN_FLIGHT_MS = TICKET_ATTEMPT_TIMEOUT_MS + 15_000;

export interface App {
  state: StateStore;
  /**
   * `mode`: act as this mode instead of ACTION_MODE (a queued request asks for a safer one). `routing`:
   * the tenant's ticket destination (issue 15; the tenant registry's entry), on top of the ticket settings.
   */
  scan(
    request: ScanRequest,
    options?: { mode?: ActionMode; progress?: (message: string) => void; routing?: TicketRouting },
  ): Promise<ScanResult>;
  /** `overrideHardening`: revert a deliberate switch-off the audit log shows (otherwise INCIDENT.HARDENING_HOLD). */
  approve(
    tenantId: string,
    incidentId: string,
    by: string,
    options?: { overrideHardening?: boolean; routing?: TicketRouting },
  ): Promise<StoredIncident>;
  /**
   * The tenants this deployment watches (issue 15): the ssprTenants table in STATE_STORAGE, else the
   * settings' list, read-only. Seeded from TENANTS once per process, before its first use.
   */
  tenants(): Promise<TenantRegistry>;
  /** `tenants check`: gets a token for the tenant and tries each read a scan makes, with the scan's Graph client. */
  checkTenant(tenantId: string): Promise<TenantCheck>;
  /** Flushes telemetry and stops its timers, so a CLI process can exit. */
  close(): Promise<void>;
  /**
   * Every enabled tenant of the registry once (`scan --all`), each in the safer of its mode cap and
   * ACTION_MODE, as many at once as keeps one process under Graph's 122 audit requests per 10 s.
   */
  scanAll(options?: { warn?: (message: string) => void }): Promise<FleetRun>;
  /** With FLEET_AUDIT_REQUESTS_PER_10S: what the shared audit budget cost this process (the fleet benchmark). */
  auditBudgetStats?: () => BudgetStats;
}

/** `credentialFor()`: the home tenant's; `credentialFor(tenantId)`: the one that reads that tenant's Graph. */
function byTenant(credentials: TenantCredentials): (tenantId?: string) => TokenCredential {
  return (tenantId) => (tenantId === undefined ? credentials.home : credentials.forTenant(tenantId));
}

/**
 * The one place that picks implementations. The home credential is DefaultAzureCredential: managed
 * identity in Azure (IDENTITY_ENDPOINT/IDENTITY_HEADER on App Service and Functions), `az login` on a
 * laptop, AZURE_CLIENT_ID/SECRET/TENANT_ID in pipelines. Each scanned tenant's is the same, or with
 * FLEET_CLIENT_ID the multi-tenant app registration's (src/adapters/auth/fleetCredential.ts).
 */
export function composeApp(
  config: Config,
  credentialFor: (tenantId?: string) => TokenCredential = byTenant(tenantCredentials(config)),
): App {
  // State, tickets and the Automation account live with the app, so their credential is the home tenant's.
  const homeCredential = credentialFor();
  const state: StateStore = config.stateStorage
    ? new TableStateStore(config.stateStorage, homeCredential)
    : new StatelessStore();
  const adapters = createActionAdapters(config, homeCredential);
  const telemetry = createTelemetry(config.telemetry);
  // Issue 15: one audit-log allowance for every instance and tenant, when the operator turns it on.
  const fleetBudget =
    config.stateStorage && config.fleetAuditRequestsPer10s
      ? new TableAuditBudget(config.stateStorage, homeCredential, {
          limit: config.fleetAuditRequestsPer10s,
          perTenant: config.auditRequestsPer10s,
          holder: `${hostname()}:${process.pid}`,
        })
      : undefined;

  /**
   * Graph readers and actions for one tenant, with fresh counters and pacing, so each result reports its
   * own requests. With a lease, every state write and ticket request is fenced by it.
   */
  function tenantGraph(
    tenantId: string,
    lease?: Lease,
    mode: ActionMode = config.actionMode,
    routing?: TicketRouting,
  ) {
    const fenced = lease ? new FencedStateStore(state, lease) : state;
    const credential = new TenantBoundCredential(credentialFor(tenantId), tenantId);
    const stats: GraphStats = { total: 0, throttled: 0 };
    const origin = new URL(config.graphEndpoint).origin;
    const client = createGraphClient(credential, {
      graphEndpoint: config.graphEndpoint,
      audience: config.graphAudience,
      auditRequestsPer10s: config.auditRequestsPer10s,
      maxAttempts: config.graphMaxAttempts,
      stats,
      fleetBudget: fleetBudget && { budget: fleetBudget, tenantId },
    });
    const auditLog = new GraphAuditLogReader(client, origin);
    const directory = new GraphDirectoryReader(client, origin, {
      maxAttempts: config.graphMaxAttempts,
      stats,
      backoff: { baseMs: 500, capMs: 30_000 },
    });
    const actions: ActionDependencies = {
      mode,
      state: fenced,
      directory,
      auditLog,
      tickets: adapters.ticketsFor(lease, routing),
      remediator: adapters.remediatorFor(client),
      remediators: adapters.remediatorsFor(client),
      allowRevertingHardening: config.allowRevertingHardening,
      remediationWaitMs: config.remediationWaitMs,
      verifyForMs: config.verifyForMs,
      pollIntervalMs: 2_000,
      telemetry: telemetry.withContext({ tenantId }),
      writer: lease && {
        id: `${lease.owner}#${lease.leaseId}`,
        since: lease.acquiredAt,
        inFlightMs: IN_FLIGHT_MS,
      },
    };
    return { client, stats, auditLog, directory, actions };
  }

  // Every Graph request of this process, failed scans' included: `scan --all` reports the fleet's.
  const processStats: GraphStats = { total: 0, throttled: 0 };
  const counted = <T>(stats: GraphStats, work: Promise<T>): Promise<T> =>
    work.finally(() => {
      processStats.total += stats.total;
      processStats.throttled += stats.throttled;
    });
  const registry: TenantRegistry = config.stateStorage
    ? new TableTenantRegistry(config.stateStorage, homeCredential)
    : new SettingsTenantRegistry(config.tenants);
  let seeded: Promise<TenantRegistry> | undefined;
  const tenants = (): Promise<TenantRegistry> => {
    // A failed seeding (storage down) is not kept: the next use tries again.
    seeded ??= seedRegistry(registry, config.tenants).then(
      () => registry,
      (err) => {
        seeded = undefined;
        throw err;
      },
    );
    return seeded;
  };

  const leases = config.stateStorage
    ? new TenantLease(config.stateStorage, homeCredential, {
        durationSeconds: config.tenantLeaseSeconds,
        renewEveryMs: Math.floor((config.tenantLeaseSeconds * 1000) / 3),
      })
    : undefined;
  const owner = `${hostname()}:${process.pid}`;
  const exclusively = <T>(tenantId: string, work: (lease?: Lease) => Promise<T>): Promise<T> =>
    // A busy tenant is an answer, not a failure: only the work under the lease reports ScanFailed.
    withTenantLease(leases, tenantId, owner, (lease) => reported(tenantId, () => work(lease)));

  /** A failure becomes a ScanFailed event; telemetry is flushed before the caller returns (3.x buffers). */
  async function reported<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      telemetry.event('ScanFailed', { tenantId, code: toAppError(err).code });
      throw err;
    } finally {
      await telemetry.flush();
    }
  }

  function scan(request: ScanRequest, { mode, progress, routing }: Parameters<App['scan']>[1] = {}) {
    return exclusively(request.tenantId, (lease) => {
      const graph = tenantGraph(request.tenantId, lease, mode, routing);
      const dependencies = {
        auditLog: graph.auditLog,
        directory: graph.directory,
        state: graph.actions.state,
        // Operator rules first: they may refine or override the built-in ones.
        signatures: [...config.extraSignatures, ...BUILT_IN_SIGNATURES],
        graphStats: graph.stats,
        lookbackMs: config.lookbackMs,
        overlapMs: config.overlapMs,
        progress,
        actions: { ...graph.actions, progress },
        telemetry: graph.actions.telemetry,
      };
      return counted(graph.stats, scanTenant(dependencies, request));
    });
  }

  return {
    state,
    tenants,
    checkTenant: (tenantId) =>
      checkTenant(new GraphAccessProbe(tenantGraph(tenantId).client), {
        tenantId,
        authorityHost: config.authorityHost,
        fleetClientId: config.fleet?.clientId,
      }),
    scan,
    async scanAll({ warn } = {}) {
      return scanFleet({
        registry: await tenants(),
        warn,
        // Each tenant keeps to AUDIT_REQUESTS_PER_10S, so this many at once stay within Graph's app-wide 122.
        lanes: Math.max(1, Math.floor(122 / config.auditRequestsPer10s)),
        graphRequests: () => processStats,
        scan: (tenant) =>
          scan(
            { tenantId: tenant.tenantId },
            { mode: saferMode(tenant.modeCap, config.actionMode), routing: tenant.routing },
          ),
      });
    },
    close: async () => {
      await fleetBudget?.close();
      await telemetry.shutdown();
    },
    auditBudgetStats: fleetBudget && (() => ({ ...fleetBudget.stats })),
    async approve(tenantId, incidentId, by, options = {}) {
      // The tenant's registry entry decides, as for its scans: its mode cap (a tenant held to ticket or
      // report is never fixed by an approval) and where its tickets go.
      const tenant = await (await tenants()).get(tenantId);
      const mode = saferMode(tenant?.modeCap, config.actionMode);
      const routing = options.routing ?? tenant?.routing;
      return exclusively(tenantId, (lease) =>
        approveIncident(
          tenantGraph(tenantId, lease, mode, routing).actions,
          tenantId,
          incidentId,
          by,
          options.overrideHardening ?? false,
        ),
      );
    },
  };
}

/** What the Functions triggers share: settings, the scan queue, the ssprScans table and one App. */
export interface Services {
  settings: FunctionsSettings;
  config: Config;
  app: App;
  scans: ScanRequests;
  queue: ScanQueue;
  /** Checks Entra ID bearer tokens; absent when API_AUDIENCE is not set (approvals over HTTP are then off). */
  apiCallers?: ApiCallerVerifier;
  /** What a queued scan needs, in the shape its use case asks for. */
  queuedScans: QueuedScanDependencies;
}

/**
 * Builds the Functions services from the environment, validating every setting first: one CONFIG.INVALID
 * that lists every bad setting of every section.
 */
export function composeServices(env: NodeJS.ProcessEnv): Services {
  const { settings, config, problems } = checkServiceSettings(env);
  if (!settings || !config) throw settingsError(problems);
  // One home credential (and token cache) for the app's state, tickets and the ssprScans table; one per scanned tenant.
  const credentials = tenantCredentials(config);
  const app = composeApp(config, byTenant(credentials));
  const scans = new ScanRequests(settings.stateStorage, credentials.home);
  return {
    settings,
    config,
    app,
    scans,
    queue: new ScanQueue(
      settings.queue,
      new DefaultAzureCredential({
        managedIdentityClientId: settings.queue.kind === 'identity' ? settings.queue.clientId : undefined,
        authorityHost: config.authorityHost,
        disableInstanceDiscovery: config.disableInstanceDiscovery,
      }),
    ),
    apiCallers: settings.api ? new ApiCallerVerifier(settings.api, config.authorityHost) : undefined,
    queuedScans: {
      registry: () => app.tenants(),
      configuredMode: config.actionMode,
      scans,
      scan: (mode, request, tenant) => app.scan(request, { mode, routing: tenant.routing }),
    },
  };
}

let current: Services | undefined;

/**
 * The services of this process, built on first use and kept: the Functions worker runs many invocations
 * in one process, and credentials, token caches and storage clients are meant to be reused. A failure
 * (bad settings) is not kept: every invocation reports it until the settings are fixed.
 */
export function services(): Services {
  current ??= composeServices(process.env);
  return current;
}

/** Forgets the built services; tests that change the environment call it. */
export function resetServices(): void {
  current = undefined;
}

let alerts: Telemetry | undefined;

/** The telemetry poisoned-scan alerts go to: built from its own settings, so it works even when others are bad. */
export function alertTelemetry(): Telemetry {
  alerts ??= createTelemetry(loadTelemetrySettings(process.env));
  return alerts;
}
