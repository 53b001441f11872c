import type { RunningEmulator, Scenario } from '../../emulator';
import { emulatorEnv } from '../../src/local/emulatorEnv';
import { parseJson, runCli } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * Issue 14: each failure is judged by the roles as they stood then. The CLI as its own process against
 * the emulator, which writes role changes and PIM activations in Graph's audit wire format and answers
 * PIM's schedule instances and the role definitions. Nothing of ours is mocked.
 */
const world = useEmulatedWorld();

async function scanJson(name: string, change?: (scenario: Scenario) => Scenario) {
  const { emulator, tenantId } = await world.emulate(name, { keepTenantId: true, change });
  const run = await runCli(['scan', '--tenant', tenantId, '--json'], emulatorEnv(emulator));
  expect(run.code).toBe(0);
  return { result: parseJson(run), emulator };
}

const onlyFinding = (result: any) => {
  expect(result.findings).toHaveLength(1);
  return result.findings[0];
};

/** The role-history reads: audit reads filtered with startswith on the activity name. */
const roleHistoryReads = (emulator: RunningEmulator) =>
  emulator.requests.filter(
    (r) => r.path.endsWith('/auditLogs/directoryAudits') && (r.query.$filter ?? '').startsWith('startswith('),
  );

describe('scan: roles as they stood at each failure', () => {
  test('when a PIM activation was in force at the failure and expired before the scan, then it is confirmed', async () => {
    const { result, emulator } = await scanJson('pim-activation-expired');
    expect(onlyFinding(result)).toMatchObject({ verdict: 'confirmed', roles: ['Global Administrator'] });
    expect(result.incidents).toHaveLength(1);
    // Read once per scan, not per user: one read per documented filter, both answered.
    expect(roleHistoryReads(emulator).map((r) => [r.status, r.query.$filter.split(' and ')[0]])).toEqual([
      [200, "startswith(activityDisplayName,'Add member to role')"],
      [200, "startswith(activityDisplayName,'Remove member from role')"],
    ]);
  });

  test('when a permanent assignment was removed after the failure, then it is confirmed', async () => {
    const { result } = await scanJson('role-assignment-removed');
    expect(onlyFinding(result)).toMatchObject({ verdict: 'confirmed', roles: ['Global Administrator'] });
  });

  test('when the role was granted after the failure, then it is not-admin and no incident is opened', async () => {
    const { result } = await scanJson('role-granted-after-failure');
    const finding = onlyFinding(result);
    expect(finding).toMatchObject({ verdict: 'not-admin', roles: [] });
    expect(finding.reason).toContain('came later');
    expect(result.incidents).toEqual([]);
  });

  test('when the user is only eligible and never activated, then it is cannot-confirm naming the eligible role', async () => {
    const { result } = await scanJson('pim-eligible-only');
    const finding = onlyFinding(result);
    expect(finding.verdict).toBe('cannot-confirm');
    expect(finding.reason).toContain('eligible (PIM) for Global Administrator');
    expect(result.incidents).toEqual([]);
  });

  test('when the activation started after the failure, then it is not confirmed: the user was only eligible then', async () => {
    const { result } = await scanJson('pim-activation-after-failure');
    const finding = onlyFinding(result);
    // Active now, but not at the failure: eligible only then, which no Microsoft statement settles.
    expect(finding).toMatchObject({ verdict: 'cannot-confirm', roles: [] });
    expect(finding.reason).toContain('eligible (PIM) for Global Administrator, not activated then');
    expect(result.incidents).toEqual([]);
  });

  test('when a role is listed under an older name or without a known template id, then it still counts and the role definitions are read once', async () => {
    const { result, emulator } = await scanJson('renamed-role');
    const byUpn = Object.fromEntries(result.findings.map((f: any) => [f.userPrincipalName, f]));
    expect(byUpn['johanna.lorenz@northwind.com']).toMatchObject({
      verdict: 'confirmed',
      roles: ['Mailbox Administrator'],
    });
    expect(byUpn['lidia.holloway@northwind.com']).toMatchObject({
      verdict: 'confirmed',
      roles: ['Fabric Administrator'],
    });
    expect(
      emulator.requests.filter((r) => r.path.endsWith('/roleManagement/directory/roleDefinitions')),
    ).toHaveLength(1);
  });

  test('when the role history cannot be read (403), then today’s roles decide and the reason says the history was not checked', async () => {
    const { result } = await scanJson('role-history-forbidden');
    const finding = onlyFinding(result);
    expect(finding.verdict).toBe('cannot-confirm');
    expect(finding.reason).toContain('Role changes since the failure were not checked');
    expect(finding.reason).toContain('AuditLog.Read.All');
  });

  test('when no role changed, then verdicts stay as before and standard users are not looked up in the role definitions', async () => {
    const { result, emulator } = await scanJson('demo');
    expect(result.findings.map((f: any) => f.verdict).sort()).toEqual([
      'confirmed',
      'confirmed',
      'not-admin',
    ]);
    expect(emulator.requests.filter((r) => r.path.endsWith('/roleDefinitions'))).toEqual([]);
  });

  test('when an admin with one registered method fails while admin SSPR is on, then it stays policy-on and the reason names the likely cause and next step', async () => {
    const { result, emulator } = await scanJson('policy-on-one-method');
    const finding = onlyFinding(result);
    expect(finding.verdict).toBe('policy-on');
    expect(finding.reason).toContain('one method (mobilePhone)');
    expect(finding.reason).toContain('security questions do not count');
    expect(result.incidents).toEqual([]);
    // One read of the registration report, inside a $batch, with no query options (the Get takes none).
    const reads = emulator.requests.filter((r) => r.path.includes('/userRegistrationDetails/'));
    expect(reads.map((r) => [r.status, r.batchItem, Object.keys(r.query)])).toEqual([[200, true, []]]);
  });

  test('when PIM cannot be read (403), then an eligible-only user reads as today (not-admin) and the reason names the permission', async () => {
    const { result } = await scanJson('pim-eligible-only', (scenario) => ({
      ...scenario,
      faults: [{ match: 'ScheduleInstances', kind: 'status', status: 403, times: -1, inBatch: true }],
    }));
    const finding = onlyFinding(result);
    expect(finding.verdict).toBe('not-admin');
    expect(finding.reason).toContain('PIM eligibility was not checked');
    expect(finding.reason).toContain('RoleManagement.Read.Directory');
  });
});
