import { hostname } from 'node:os';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ActionDependencies } from './usecases/incidentActions';
import { approveIncident } from './usecases/incidentActions';
import { createActionAdapters } from './adapters/actionAdapters';
import { TICKET_ATTEMPT_TIMEOUT_MS } from './adapters/tickets/ticketHttp';
import { TenantBoundCredential } from './adapters/auth/tenantBoundCredential';
import type { Config } from './config';
import { AppError, toAppError } from './errors';
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
import { TenantLease, type Lease } from './adapters/storage/tenantLease';
import { TableAuditBudget, type BudgetStats } from './adapters/storage/tableAuditBudget';

/**
 * How long a request sent by a holder that then lost the tenant may still land: one ticket attempt
 * (the longest non-idempotent write we send) plus a margin for a slow server. Runbook jobs are PUT
 * under a deterministic name and the Graph fix is idempotent, so only tickets set this.
 */
const IN_FLIGHT_MS = TICKET_ATTEMPT_TIMEOUT_MS + 15_000;

export interface App {
  state: StateStore;
  scan(request: ScanRequest, progress?: (message: string) => void): Promise<ScanResult>;
  /** `overrideHardening`: revert a deliberate switch-off the audit log shows (otherwise INCIDENT.HARDENING_HOLD). */
  approve(
    tenantId: string,
    incidentId: string,
    by: string,
    options?: { overrideHardening?: boolean },
  ): Promise<StoredIncident>;
  /** Flushes telemetry and stops its timers, so a CLI process can exit. */
  close(): Promise<void>;
  /** With FLEET_AUDIT_REQUESTS_PER_10S: what the shared audit budget cost this process (the fleet benchmark). */
  auditBudgetStats?: () => BudgetStats;
}

/**
 * The one place that picks implementations. DefaultAzureCredential, unchanged: managed identity in
 * Azure (IDENTITY_ENDPOINT/IDENTITY_HEADER on App Service and Functions), `az login` on a laptop,
 * AZURE_CLIENT_ID/SECRET/TENANT_ID in pipelines.
 */
export function composeApp(
  config: Config,
  credentialFor: (tenantId?: string) => TokenCredential = (tenantId) =>
    new DefaultAzureCredential({ tenantId, authorityHost: config.authorityHost }),
): App {
  // State, tickets and the Automation account live with the app, so their credential is the home tenant's.
  const homeCredential = credentialFor();
  const state: StateStore = config.stateStorage
    ? new TableStateStore(config.stateStorage, homeCredential)
    : new StatelessStore();
  const adapters = createActionAdapters(config, homeCredential);
  const telemetry = createTelemetry(config.env);
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
  function tenantGraph(tenantId: string, lease?: Lease) {
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
      mode: config.actionMode,
      state: fenced,
      directory,
      auditLog,
      tickets: adapters.ticketsFor(lease),
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
    return { stats, auditLog, directory, actions };
  }

  // One writer per tenant: the timer, the queue, an HTTP scan and a person at a terminal never overlap.
  const leases = config.stateStorage
    ? new TenantLease(config.stateStorage, homeCredential, {
        durationSeconds: config.tenantLeaseSeconds,
        renewEveryMs: Math.floor((config.tenantLeaseSeconds * 1000) / 3),
      })
    : undefined;
  async function exclusively<T>(tenantId: string, work: (lease?: Lease) => Promise<T>): Promise<T> {
    if (!leases) return reported(tenantId, () => work());
    const lease = await leases.acquire(tenantId, `${hostname()}:${process.pid}`);
    if (!lease) {
      throw new AppError(
        'SCAN.TENANT_BUSY',
        `Another scan of tenant ${tenantId} holds its lease; it ends within a minute of finishing or dying. Try again then.`,
        {
          transient: true,
        },
      );
    }
    try {
      return await reported(tenantId, () => work(lease));
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

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

  return {
    state,
    scan(request, progress) {
      return exclusively(request.tenantId, (lease) => {
        const graph = tenantGraph(request.tenantId, lease);
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
        return scanTenant(dependencies, request);
      });
    },
    close: async () => {
      await fleetBudget?.close();
      await telemetry.shutdown();
    },
    auditBudgetStats: fleetBudget && (() => ({ ...fleetBudget.stats })),
    approve(tenantId, incidentId, by, options = {}) {
      return exclusively(tenantId, (lease) =>
        approveIncident(
          tenantGraph(tenantId, lease).actions,
          tenantId,
          incidentId,
          by,
          options.overrideHardening ?? false,
        ),
      );
    },
  };
}
