import { toAppError } from '../errors';
import type { GraphStats } from './ports/graph';
import type { RegisteredTenant, TenantHealth, TenantRegistry } from './ports/tenants';
import type { ScanResult } from './scanTenant';

/** How one tenant's part of a fleet run ended. */
export type FleetOutcome =
  | { tenantId: string; result: ScanResult }
  | { tenantId: string; error: { code: string; message: string } }
  /** Another instance holds the tenant (busy), or the operator removed or disabled it during the run. */
  | { tenantId: string; skipped: 'busy' | 'removed' | 'disabled' };

export interface FleetRun {
  /** Enabled tenants when the run began. */
  tenants: number;
  scanned: number;
  failed: number;
  seconds: number;
  /** Every Graph request of the run, failed scans' included. */
  graphRequests: GraphStats;
  outcomes: FleetOutcome[];
}

export interface FleetDependencies {
  registry: TenantRegistry;
  /** Scans one tenant as its registry entry says (mode cap, ticket routing). */
  scan(tenant: RegisteredTenant): Promise<ScanResult>;
  /** How many tenants are scanned at once. */
  lanes: number;
  /** Every Graph request this process has made so far: the run reports the difference. */
  graphRequests(): GraphStats;
  /** Told when a tenant's health could not be recorded (the scan's own outcome stands). */
  warn?: (message: string) => void;
  clock?: () => number;
}

/**
 * Every enabled tenant once, `lanes` at a time, the longest-unscanned first (so when a cycle cannot
 * cover the fleet, the tenants left for the next one are those scanned most recently). One tenant's
 * failure (consent revoked, 403, an outage) is that tenant's outcome and never stops the others; each
 * tenant's last scan is recorded in the registry, where health and `tenants list` read it.
 */
export async function scanFleet(deps: FleetDependencies): Promise<FleetRun> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const before = { ...deps.graphRequests() };
  const queue = scanOrder((await deps.registry.list()).filter((tenant) => tenant.enabled));
  const outcomes: FleetOutcome[] = [];

  async function lane(): Promise<void> {
    for (let listed = queue.shift(); listed; listed = queue.shift()) {
      // The registry may have changed since the run began: a removed or disabled tenant is left alone.
      let tenant: RegisteredTenant | undefined;
      try {
        tenant = await deps.registry.get(listed.tenantId);
      } catch (err) {
        // Storage failing for one read is that tenant's outcome, not the end of the run.
        outcomes.push(failedOutcome(listed.tenantId, err));
        continue;
      }
      if (!tenant || !tenant.enabled) {
        outcomes.push({ tenantId: listed.tenantId, skipped: tenant ? 'disabled' : 'removed' });
        continue;
      }
      const outcome = await scanOne(deps, tenant);
      outcomes.push(outcome);
      await recordOutcome(deps.registry, outcome, new Date(clock()), deps.warn);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, deps.lanes) }, lane));

  const after = deps.graphRequests();
  return {
    tenants: outcomes.length,
    scanned: outcomes.filter((outcome) => 'result' in outcome).length,
    failed: outcomes.filter((outcome) => 'error' in outcome).length,
    seconds: Math.round((clock() - started) / 100) / 10,
    graphRequests: { total: after.total - before.total, throttled: after.throttled - before.throttled },
    outcomes: outcomes.sort((a, b) => a.tenantId.localeCompare(b.tenantId)),
  };
}

async function scanOne(deps: FleetDependencies, tenant: RegisteredTenant): Promise<FleetOutcome> {
  try {
    return { tenantId: tenant.tenantId, result: await deps.scan(tenant) };
  } catch (err) {
    if (toAppError(err).code === 'SCAN.TENANT_BUSY') return { tenantId: tenant.tenantId, skipped: 'busy' };
    return failedOutcome(tenant.tenantId, err);
  }
}

function failedOutcome(tenantId: string, err: unknown): FleetOutcome {
  const error = toAppError(err);
  return { tenantId, error: { code: error.code, message: error.message } };
}

/** Never scanned first, then the oldest last scan; ties by id, so the order is the same everywhere. */
export function scanOrder(tenants: readonly RegisteredTenant[]): RegisteredTenant[] {
  const lastAt = (tenant: RegisteredTenant) => tenant.lastScan?.at ?? '';
  return [...tenants].sort(
    (a, b) => lastAt(a).localeCompare(lastAt(b)) || a.tenantId.localeCompare(b.tenantId),
  );
}

/**
 * Keeps how the tenant's scan ended in the registry (where health and `tenants list` read it). Best
 * effort: the scan's outcome stands whether or not this is written, and the operator is told.
 */
export async function recordOutcome(
  registry: TenantRegistry,
  outcome: FleetOutcome,
  at: Date,
  warn: ((message: string) => void) | undefined,
): Promise<void> {
  const health = healthOf(outcome, at.toISOString());
  if (!health) return;
  await registry
    .recordScan(outcome.tenantId, health)
    .catch((err: unknown) =>
      warn?.(`could not record the last scan of tenant ${outcome.tenantId}: ${toAppError(err).code}`),
    );
}

/** What the registry keeps of an outcome; a tenant removed or disabled meanwhile keeps its old health. */
export function healthOf(outcome: FleetOutcome, at: string): TenantHealth | undefined {
  if ('result' in outcome) {
    const open = outcome.result.incidents.filter((incident) => incident.state !== 'resolved').length;
    return { at, outcome: 'scanned', openIncidents: open };
  }
  if ('error' in outcome) {
    // The registry is readable over HTTP: an unexpected error's text stays in the log that has it.
    const { code, message } = outcome.error;
    return {
      at,
      outcome: 'failed',
      code,
      message:
        code === 'INTERNAL' ? 'Unexpected error; the scan’s own output or log has the details.' : message,
    };
  }
  return outcome.skipped === 'busy' ? { at, outcome: 'skipped-busy' } : undefined;
}
