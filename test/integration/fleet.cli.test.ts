import { fleetScenarios, startEmulator, type RunningEmulator, type Scenario } from '../../emulator';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { emulatorEnv, fleetSignInEnv } from '../../src/local/emulatorEnv';
import { parseJson, runCli } from '../helpers/cli';
import { GITHUB_EMULATOR_TOKEN } from '../../emulator/tickets/githubRoutes';

/**
 * Issue 15: `scan --all` through the real CLI, against one emulator serving a fleet (each tenant
 * signed in as the multi-tenant app registration) and a real Azurite holding the registry. What is
 * judged is what each tenant's outcome is and what the registry keeps, never how fast it went.
 */
const fleet = fleetScenarios({ count: 5, seed: 'fleet-cli', confirmedEvery: 2 });
const [healthy, unconsented, forbidden] = fleet;
// Consent given without AuditLog.Read.All: Graph answers 403 to the audit log.
forbidden.faults = [{ match: '^/v1\\.0/auditLogs/directoryAudits', kind: 'status', status: 403, times: -1 }];
// The home tenant's first audit page is held until the test releases it (a scan under way).
const home: Scenario = {
  ...fleetScenarios({ count: 1, seed: 'fleet-cli-home' })[0],
  faults: [{ match: '^/v1\\.0/auditLogs/directoryAudits\\?', kind: 'hold', times: 1 }],
};

let azurite: RunningAzurite;
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    scenario: home,
    fleet: { tenants: fleet, withoutConsent: [unconsented.tenantId] },
  });
});
// Each test its own storage: the registry, checkpoints and incidents start empty.
beforeEach(async () => {
  azurite = await startAzurite();
});
afterEach(async () => {
  await azurite?.stop();
});
afterAll(async () => {
  await emulator?.stop();
});

const env = (extra: Record<string, string | undefined>) =>
  emulatorEnv(emulator, {
    ...fleetSignInEnv(emulator, 'secret'),
    STATE_STORAGE: azurite.connectionString,
    TENANT_ID: undefined,
    ...extra,
  });
const graphRequestsOf = (tenantId: string) =>
  emulator.requests.filter((entry) => entry.tenantId === tenantId && !entry.batchItem).length;

describe('scan --all', () => {
  test('when one tenant never consented and one lacks a permission, then every other tenant is scanned, each failure is that tenant’s outcome and health, and the exit code is 1', async () => {
    const ids = fleet.map((tenant) => tenant.tenantId);
    const run = await runCli(['scan', '--all', '--json'], env({ TENANTS: ids.join(',') }));
    const output = parseJson(run);

    expect(run.code).toBe(1);
    expect(output.fleet).toMatchObject({ tenants: 5, scanned: 3, failed: 2 });
    const byTenant = new Map<string, any>(output.scans.map((scan: any) => [scan.tenantId, scan]));
    expect(byTenant.get(unconsented.tenantId).error.code).toBe('AUTH.NO_TOKEN');
    expect(byTenant.get(forbidden.tenantId).error.code).toBe('GRAPH.FORBIDDEN');
    // Each scanned tenant is today's scan JSON; the confirmed ones found their incident.
    expect(byTenant.get(healthy.tenantId).findings).toContainEqual(
      expect.objectContaining({ verdict: 'confirmed', errorCode: 'SSPR_0009' }),
    );
    expect(byTenant.get(healthy.tenantId).incidents).toHaveLength(1);
    // The fleet's count is every Graph request of the run, failed scans' too, as the emulator saw them.
    const seen = ids.reduce((sum, id) => sum + graphRequestsOf(id), 0);
    expect(output.fleet.graphRequests).toEqual({ total: seen, throttled: 0 });
    expect(run.stderr).toContain(`error AUTH.NO_TOKEN: tenant ${unconsented.tenantId}`);

    const list = parseJson(await runCli(['tenants', 'list', '--json'], env({ TENANTS: ids.join(',') })));
    const health = new Map<string, any>(list.map((tenant: any) => [tenant.tenantId, tenant.lastScan]));
    expect(health.get(unconsented.tenantId)).toMatchObject({ outcome: 'failed', code: 'AUTH.NO_TOKEN' });
    expect(health.get(forbidden.tenantId)).toMatchObject({ outcome: 'failed', code: 'GRAPH.FORBIDDEN' });
    expect(health.get(healthy.tenantId)).toMatchObject({ outcome: 'scanned', openIncidents: 1 });
  });

  test('when a tenant is capped to report, then scan --all files no ticket for it while the deployment tickets; raised to ticket, it files one', async () => {
    const capped = healthy.tenantId; // its scenario confirms an incident
    const ticketEnv = env({ TENANTS: capped, ACTION_MODE: 'ticket', ...ticketSettings() });
    const ours = () => emulator.tickets.github.issues.filter((issue) => issue.body?.includes(capped));
    expect((await runCli(['tenants', 'add', capped, '--mode-cap', 'report'], ticketEnv)).code).toBe(0);

    // The text output: a person reads which tenants were scanned.
    const run = await runCli(['scan', '--all'], ticketEnv);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`${capped}\\s+scanned`));
    expect(ours()).toHaveLength(0);

    expect((await runCli(['tenants', 'add', capped, '--mode-cap', 'ticket'], ticketEnv)).code).toBe(0);
    expect((await runCli(['scan', '--all'], ticketEnv)).code).toBe(0);
    expect(ours()).toHaveLength(1);
  });

  test('when ACTION_MODE is approve and a tenant is capped to ticket, then an approval of its incident is refused and nothing is fixed', async () => {
    const capped = healthy.tenantId;
    const approveEnv = env({
      TENANTS: capped,
      ACTION_MODE: 'approve',
      REMEDIATION_METHOD: 'graph',
      ...ticketSettings(),
    });
    expect((await runCli(['tenants', 'add', capped, '--mode-cap', 'ticket'], approveEnv)).code).toBe(0);
    expect((await runCli(['scan', '--all'], approveEnv)).code).toBe(0);
    const [incident] = parseJson(await runCli(['incidents', '--tenant', capped, '--json'], approveEnv));
    expect(incident).toMatchObject({ state: 'ticketed' });

    const approval = await runCli(
      ['approve', incident.id, '--by', 'ops.lead', '--tenant', capped],
      approveEnv,
    );

    expect(approval.code).toBe(1);
    expect(approval.stderr).toContain('error INCIDENT.NOT_APPROVABLE');
    expect(approval.stderr).toContain('mode cap');
    const fixes = emulator.requests.filter(
      (entry) =>
        entry.tenantId === capped && entry.method === 'PATCH' && entry.path.includes('authorizationPolicy'),
    );
    expect(fixes).toEqual([]);
  });

  test('when a tenant is removed while the run is under way, then it is not scanned and stays removed', async () => {
    // One lane (122 / 122 per tenant): tenants are scanned one after the other, never-scanned by id.
    const later = fleet.map((tenant) => tenant.tenantId).find((id) => id > home.tenantId);
    expect(later).toBeDefined(); // the fixed seeds make one tenant sort after the home tenant
    const oneLane = env({ TENANTS: home.tenantId, AUDIT_REQUESTS_PER_10S: '122' });
    expect((await runCli(['tenants', 'add', later!], oneLane)).code).toBe(0);

    const running = runCli(['scan', '--all', '--json'], oneLane);
    while (emulator.heldRequests() === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const removed = await runCli(['tenants', 'remove', later!], oneLane);
    emulator.releaseHeld();
    const run = await running;

    expect(removed.code).toBe(0);
    const output = parseJson(run);
    expect(output.scans).toContainEqual({ tenantId: later, skipped: 'removed' });
    expect(output.fleet).toMatchObject({ scanned: 1, failed: 0 });
    const list = parseJson(await runCli(['tenants', 'list', '--json'], oneLane));
    expect(list.map((tenant: any) => tenant.tenantId)).not.toContain(later);
  });

  test('when --all is combined with a flag that picks one tenant’s scan, then it is a usage error', async () => {
    const run = await runCli(['scan', '--all', '--tenant', healthy.tenantId], env({}));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--all scans each tenant from its own checkpoint');
  });
});

function ticketSettings(): Record<string, string> {
  return {
    TICKET_SYSTEM: 'github',
    GITHUB_API_URL: `${emulator.ticketsUrl}/github`,
    GITHUB_REPOSITORY: 'contoso/identity-ops',
    GITHUB_TOKEN: GITHUB_EMULATOR_TOKEN,
  };
}
