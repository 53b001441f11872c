import path from 'node:path';
import { fleetScenarios, startEmulator, type RunningEmulator, type Scenario } from '../../emulator';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { emulatorEnv, fleetSignInEnv } from '../../src/local/emulatorEnv';
import type { FleetWorkerInput, FleetWorkerReport } from '../../src/local/fleetWorker';
import { childJson, runNode } from '../helpers/nodeChild';
import { DIST } from '../helpers/runInChild';

/**
 * Issue 15: instances scanning many tenants share one audit budget through Azure Tables. Two worker
 * processes (stand-ins for two Functions instances) scan a fleet in one emulator that enforces both
 * Graph limits; everything is judged from the emulator's own request log, never from how fast it went.
 * The fleet limit is set to 3 per 10 s (Graph's is 122) so that two workers exceed it at once, on any machine.
 */
const FLEET_LIMIT = 3;
const AUDIT_PATH = '/v1.0/auditLogs/directoryAudits';

let azurite: RunningAzurite;
let emulator: RunningEmulator;
const tenants = fleetScenarios({ count: 5, seed: 'fleet-test', confirmedEvery: 4 });
// One tenant with more pages than its own limit allows in 10 s: the per-tenant limit binds too.
const busy: Scenario = {
  ...fleetScenarios({ count: 1, seed: 'fleet-test-busy' })[0],
  pageSize: 1,
  noise: { count: 6, from: '-20h', to: '-1h' },
};
// One tenant whose consent lacks AuditLog.Read.All (Graph 403), one that never consented (no token).
const forbidden = tenants[1];
forbidden.faults = [{ match: '^/v1\\.0/auditLogs/directoryAudits', kind: 'status', status: 403, times: -1 }];
const unconsented = tenants[2];

beforeAll(async () => {
  [azurite, emulator] = await Promise.all([
    startAzurite(),
    startEmulator({
      scenario: 'policy-on',
      fleet: {
        tenants: [...tenants, busy],
        appRequestsPer10s: FLEET_LIMIT,
        withoutConsent: [unconsented.tenantId],
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.allSettled([emulator?.stop(), azurite?.stop()]);
});

function worker(tenantIds: string[]): Promise<FleetWorkerReport> {
  const input: FleetWorkerInput = {
    tenants: tenantIds,
    concurrency: 4,
  };
  const env = emulatorEnv(emulator, {
    STATE_STORAGE: azurite.connectionString,
    FLEET_AUDIT_REQUESTS_PER_10S: String(FLEET_LIMIT),
    ...fleetSignInEnv(emulator, 'secret'),
  });
  return runNode(
    [path.join(DIST, 'src/local/fleetWorker.js')],
    env,
    'a fleet worker',
    JSON.stringify(input),
  ).then((output) => {
    if (output.code !== 0) throw new Error(`fleet worker exit ${output.code}: ${output.stderr}`);
    return childJson(output, 'a fleet worker') as FleetWorkerReport;
  });
}

/** The most entries whose arrival falls in any 10 s window. */
function peakPer10s(times: number[]): number {
  const sorted = [...times].sort((x, y) => x - y);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= 10_000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

test('when two workers scan a fleet sharing the budget, then no 429 is provoked, both limits hold, and failing tenants do not stall the others', async () => {
  // Arrange: the tenants dealt out to two workers, as two instances would share a registry.
  const all = [...tenants, busy].map((tenant) => tenant.tenantId);
  const halves = [all.filter((_, n) => n % 2 === 0), all.filter((_, n) => n % 2 === 1)];

  // Act
  const reports = await Promise.all(halves.map(worker));

  // Assert: every tenant was scanned once; the two that cannot be read failed alone, with their reason.
  const scans = reports.flatMap((report) => report.scans);
  expect(scans.map((scan) => scan.tenantId).sort()).toEqual([...all].sort());
  const failed = Object.fromEntries(
    scans.filter((scan) => scan.code).map((scan) => [scan.tenantId, scan.code]),
  );
  expect(failed).toEqual({
    [forbidden.tenantId]: 'GRAPH.FORBIDDEN',
    [unconsented.tenantId]: 'AUTH.NO_TOKEN',
  });

  const audits = emulator.requests.filter((entry) => entry.path === AUDIT_PATH);
  // Zero 429s: the emulator enforces the same limits the workers share.
  expect(audits.filter((entry) => entry.status === 429)).toEqual([]);
  expect(scans.reduce((sum, scan) => sum + scan.throttled, 0)).toBe(0);
  // Every readable tenant's audit log was read; the busy one page by page (7 pages, more than its 5 per 10 s).
  const byTenant = new Map<string, number>();
  for (const entry of audits) byTenant.set(entry.tenantId!, (byTenant.get(entry.tenantId!) ?? 0) + 1);
  for (const tenantId of all.filter((id) => id !== unconsented.tenantId))
    expect(byTenant.get(tenantId)).toBeGreaterThan(0);
  expect(byTenant.get(busy.tenantId)).toBeGreaterThanOrEqual(7);
  expect(byTenant.has(unconsented.tenantId)).toBe(false);
  // Both limits, counted on arrival at the emulator.
  const arrivals = audits.map((entry) => Date.parse(entry.at));
  expect(peakPer10s(arrivals)).toBeLessThanOrEqual(FLEET_LIMIT);
  expect(
    peakPer10s(
      audits.filter((entry) => entry.tenantId === busy.tenantId).map((entry) => Date.parse(entry.at)),
    ),
  ).toBeLessThanOrEqual(5);
  // Both workers sent audit requests: the budget was shared, not held by one.
  for (const report of reports) expect(report.scans.some((scan) => scan.graphRequests > 0)).toBe(true);
});
