import { AppError } from '../../../src/errors';
import type {
  RegisteredTenant,
  TenantChanges,
  TenantHealth,
  TenantRegistry,
} from '../../../src/usecases/ports/tenants';
import { scanFleet, scanOrder } from '../../../src/usecases/scanFleet';
import type { ScanResult } from '../../../src/usecases/scanTenant';

/** The port's contract in memory (the table adapter has its own integration test against Azurite). */
class MemoryRegistry implements TenantRegistry {
  readonly durable = true;
  readonly rows = new Map<string, RegisteredTenant>();
  async list() {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }
  async get(tenantId: string) {
    const row = this.rows.get(tenantId);
    return row && { ...row };
  }
  async put(tenantId: string, changes: TenantChanges, addedBy: string) {
    const row = { tenantId, enabled: true, addedBy, addedAt: 'now', ...this.rows.get(tenantId), ...changes };
    this.rows.set(tenantId, row);
    return row;
  }
  async remove(tenantId: string) {
    return this.rows.delete(tenantId);
  }
  async recordScan(tenantId: string, health: TenantHealth) {
    const row = this.rows.get(tenantId);
    if (row) row.lastScan = health;
  }
}

const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

function result(tenantId: string, requests: number): ScanResult {
  return {
    tenantId,
    window: { from: '2026-11-30T00:00:00Z', to: '2026-11-30T01:00:00Z' },
    clippedToRetention: false,
    eventsRead: 0,
    unattributedFailures: 0,
    unmatchedReasons: [],
    findings: [],
    incidents: [],
    actionErrors: [],
    graphRequests: { total: requests, throttled: 0 },
  };
}

/** A fleet whose scans count Graph requests as the composition root does: per process, failures included. */
function fleet(registry: MemoryRegistry, scan: (tenant: RegisteredTenant) => Promise<ScanResult>) {
  const stats = { total: 0, throttled: 0 };
  return {
    registry,
    lanes: 3,
    graphRequests: () => stats,
    scan: async (tenant: RegisteredTenant) => {
      stats.total += 2;
      return scan(tenant);
    },
  };
}

async function registryOf(count: number): Promise<MemoryRegistry> {
  const registry = new MemoryRegistry();
  for (let n = 1; n <= count; n++) await registry.put(id(n), {}, 'TENANTS');
  return registry;
}

describe('scanFleet', () => {
  test('when one tenant fails among many, then the others are scanned and the failure is that tenant’s outcome and health', async () => {
    const registry = await registryOf(6);
    const run = await scanFleet(
      fleet(registry, async (tenant) => {
        if (tenant.tenantId === id(3)) throw new AppError('AUTH.NO_TOKEN', 'no consent in tenant 3');
        return result(tenant.tenantId, 2);
      }),
    );
    expect(run).toMatchObject({ tenants: 6, scanned: 5, failed: 1, graphRequests: { total: 12 } });
    expect(run.outcomes.find((outcome) => outcome.tenantId === id(3))).toEqual({
      tenantId: id(3),
      error: { code: 'AUTH.NO_TOKEN', message: 'no consent in tenant 3' },
    });
    expect((await registry.get(id(3)))?.lastScan).toMatchObject({ outcome: 'failed', code: 'AUTH.NO_TOKEN' });
    expect((await registry.get(id(4)))?.lastScan).toMatchObject({ outcome: 'scanned', openIncidents: 0 });
  });

  test('when another instance holds a tenant, then it is skipped as busy, not failed', async () => {
    const registry = await registryOf(2);
    const run = await scanFleet(
      fleet(registry, async (tenant) => {
        if (tenant.tenantId === id(1)) throw new AppError('SCAN.TENANT_BUSY', 'held');
        return result(tenant.tenantId, 1);
      }),
    );
    expect(run).toMatchObject({ scanned: 1, failed: 0 });
    expect(run.outcomes[0]).toEqual({ tenantId: id(1), skipped: 'busy' });
  });

  test('when a tenant is removed or disabled during the run, then it is not scanned and not brought back', async () => {
    const registry = await registryOf(4);
    const scanned: string[] = [];
    const deps = fleet(registry, async (tenant) => {
      scanned.push(tenant.tenantId);
      // The operator acts while the first tenant is being scanned.
      if (tenant.tenantId === id(1)) {
        await registry.remove(id(3));
        await registry.put(id(4), { enabled: false }, 'operator');
      }
      return result(tenant.tenantId, 1);
    });
    const run = await scanFleet({ ...deps, lanes: 1 });
    expect(scanned).toEqual([id(1), id(2)]);
    expect(run.outcomes).toContainEqual({ tenantId: id(3), skipped: 'removed' });
    expect(run.outcomes).toContainEqual({ tenantId: id(4), skipped: 'disabled' });
    expect(await registry.get(id(3))).toBeUndefined();
    expect((await registry.get(id(4)))?.lastScan).toBeUndefined();
  });

  test('when tenants are disabled at the start, then they are not part of the run', async () => {
    const registry = await registryOf(3);
    await registry.put(id(2), { enabled: false }, 'operator');
    const run = await scanFleet(fleet(registry, async (tenant) => result(tenant.tenantId, 1)));
    expect(run.tenants).toBe(2);
    expect(run.outcomes.map((outcome) => outcome.tenantId)).toEqual([id(1), id(3)]);
  });

  test('when recording health fails, then the scan outcome stands and the operator is told', async () => {
    const registry = await registryOf(1);
    registry.recordScan = async () => {
      throw new AppError('STATE.UNAVAILABLE', 'table down');
    };
    const warnings: string[] = [];
    const run = await scanFleet({
      ...fleet(registry, async (tenant) => result(tenant.tenantId, 1)),
      warn: (message) => warnings.push(message),
    });
    expect(run.scanned).toBe(1);
    expect(warnings).toEqual([`could not record the last scan of tenant ${id(1)}: STATE.UNAVAILABLE`]);
  });

  test('the order is never-scanned first, then the stalest, ties by id', () => {
    const tenant = (n: number, at?: string): RegisteredTenant => ({
      tenantId: id(n),
      enabled: true,
      addedBy: 'TENANTS',
      addedAt: 'x',
      ...(at ? { lastScan: { at, outcome: 'scanned' } } : {}),
    });
    const order = scanOrder([
      tenant(1, '2026-11-30T10:00:00Z'),
      tenant(2),
      tenant(3, '2026-11-30T09:00:00Z'),
      tenant(4),
    ]).map((t) => t.tenantId);
    expect(order).toEqual([id(2), id(4), id(3), id(1)]);
  });
});
