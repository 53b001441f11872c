import { DefaultAzureCredential } from '@azure/identity';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { TableAuditBudget } from '../../src/adapters/storage/tableAuditBudget';

/**
 * The shared audit budget against a real Azurite (issue 15): two budgets stand in for two instances.
 * Nothing here measures speed: each share records when it was granted and until when it counted, and
 * the test checks that no instant ever had more shares counting than the limits allow.
 */
let azurite: RunningAzurite;
const WINDOW_MS = 3000;
// Connection-string auth: the credential is never asked for a token here.
const budget = (limit: number, perTenant: number, holder: string) =>
  new TableAuditBudget(azurite.connectionString, new DefaultAzureCredential(), {
    limit,
    perTenant,
    holder,
    // A short window keeps the test short; the rule is the same at 10 s. Long enough that a slow
    // storage round trip on a busy machine still lets both limits be reached (the test checks they were).
    windowMs: WINDOW_MS,
    marginMs: 0,
    pollMs: 20,
  });

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

interface Share {
  tenantId: string;
  grantedAt: number;
  /** Answer time + WINDOW_MS: the share counts in [grantedAt, countsUntil). */
  countsUntil: number;
}

/** The most shares counting at once, overall and for one tenant, at any grant instant. */
function peaks(shares: Share[]): { overall: number; perTenant: number } {
  let overall = 0;
  let perTenant = 0;
  for (const share of shares) {
    const counting = shares.filter((s) => s.grantedAt <= share.grantedAt && share.grantedAt < s.countsUntil);
    overall = Math.max(overall, counting.length);
    perTenant = Math.max(perTenant, counting.filter((s) => s.tenantId === share.tenantId).length);
  }
  return { overall, perTenant };
}

describe('TableAuditBudget', () => {
  test('when two instances take shares for many tenants at once and hand a tenant over, then no instant has more than the limit across tenants or per tenant', async () => {
    const limit = 5;
    const perTenant = 2;
    const instances = [budget(limit, perTenant, 'a'), budget(limit, perTenant, 'b')];
    const tenants = ['a', 'b', 'c', 'd'].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
    const shares: Share[] = [];

    // Arrange: four tenants' request streams at once. Tenant a is scanned by instance A, then by B
    // (as the tenant lease hands a tenant over: never two instances at once); b, c, d stay on one each.
    const [a, b, c, d] = tenants;
    const [instanceA, instanceB] = instances;
    const stream = async (instance: TableAuditBudget, tenantId: string) => {
      for (let n = 0; n < 4; n++) {
        const release = await instance.take(tenantId);
        const share: Share = { tenantId, grantedAt: Date.now(), countsUntil: Infinity };
        shares.push(share);
        await new Promise((resolve) => setTimeout(resolve, 5)); // the request in flight
        share.countsUntil = Date.now() + WINDOW_MS;
        release();
      }
    };
    // Act
    await Promise.all([
      stream(instanceA, a).then(() => stream(instanceB, a)),
      stream(instanceA, b),
      stream(instanceB, c),
      stream(instanceA, d),
    ]);
    await Promise.all(instances.map((instance) => instance.close()));

    // Assert
    expect(shares).toHaveLength(5 * 4);
    const peak = peaks(shares);
    expect(peak.overall).toBeLessThanOrEqual(limit);
    expect(peak.perTenant).toBeLessThanOrEqual(perTenant);
    // Both limits were reached, so the checks above could have failed.
    expect(peak.overall).toBe(limit);
    expect(peak.perTenant).toBe(perTenant);
    expect(instances.every((instance) => instance.stats.releases === instance.stats.taken)).toBe(true);
  });

  test('when an instance takes a share and dies before its answer, then the share frees itself after the in-flight limit', async () => {
    const dead = new TableAuditBudget(azurite.connectionString, new DefaultAzureCredential(), {
      limit: 1,
      perTenant: 1,
      holder: 'dead',
      windowMs: 600,
      inFlightMs: 800,
      pollMs: 20,
    });
    // Limit 1: slot-000 is the only share, and the dead instance holds it.
    await dead.take('00000000-0000-4000-8000-0000000000d1'); // never released
    const alive = budget(1, 1, 'alive');

    const release = await alive.take('00000000-0000-4000-8000-0000000000d2');
    release();
    await alive.close();

    expect(alive.stats.taken).toBe(1);
    // It had to wait: its first read found the only share in flight.
    expect(alive.stats.reads).toBeGreaterThan(1);
  });
});
