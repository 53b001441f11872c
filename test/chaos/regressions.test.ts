import { randomUUID } from 'node:crypto';
import { loadScenario, type Scenario } from '../../emulator';
import { emulatorActionEnv, emulatorEnv } from '../../src/local/emulatorEnv';
import { jsonOf, runCli } from '../../bench/lib/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * Bugs the chaos harness found (bench/chaos), each reduced to a deterministic reproduction that asserts
 * the correct behaviour. Fixed ones are plain regression tests; an open one is `test.failing` while the
 * bug stands, so once it is fixed jest reports it and `.failing` must be removed. Seeds and trials that
 * found them are in docs/BENCHMARKS.md.
 */
const world = useEmulatedWorld();
const emulate = async (scenario: Scenario) =>
  (await world.emulate(scenario, { keepTenantId: true })).emulator;

async function scan(tenantId: string, env: NodeJS.ProcessEnv) {
  const run = await runCli(['scan', '--tenant', tenantId, '--json'], env);
  expect(run.code).toBe(0);
  return jsonOf(run);
}

async function storedUserIds(tenantId: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const listed = jsonOf(await runCli(['incidents', '--all', '--json', '--tenant', tenantId], env)) as {
    userIds: string[];
  }[];
  return listed.flatMap((incident) => incident.userIds);
}

describe('bugs found by the chaos harness', () => {
  // Fixed: src/adapters/graph/graphErrors.ts and src/adapters/graph/directoryReader.ts isTransient() counted a 200 whose
  // body is not JSON (GraphError statusCode 200, code SyntaxError) as a permanent gap, so the admin's
  // events were recorded as settled `cannot-confirm` and never judged again.
  test.each([
    ['the policy read', '^/v1\\.0/policies/authorizationPolicy'],
    ['the policy-history read', '^/v1\\.0/auditLogs/directoryAudits\\?\\$filter=activityDisplayName'],
  ])(
    'when %s answers 200 with a malformed body once, then a later scan still confirms the admin',
    async (_, match) => {
      const tenantId = randomUUID();
      const base = loadScenario('admin-policy-off');
      const emulator = await emulate({ ...base, tenantId, faults: [{ match, kind: 'malformed', times: 1 }] });
      const env = emulatorEnv(emulator, { STATE_STORAGE: world.azurite.connectionString });
      const first = await scan(tenantId, env);
      expect(first.findings.map((f: any) => f.verdict)).toEqual(['cannot-confirm']);
      await scan(tenantId, env);
      expect(await storedUserIds(tenantId, env)).toEqual([base.users![0].id]);
    },
  );

  // Fixed: src/adapters/graph/directoryReader.ts allItems() read a 200 batch item without a `value` array (an
  // unreadable answer) as an empty list, so "not an admin" was concluded without both sources having
  // answered in full; a group-based admin became `not-admin` and was recorded as settled.
  test('when the transitiveMemberOf item of a group-based admin is unreadable, then the user is not called not-admin', async () => {
    const tenantId = randomUUID();
    const emulator = await emulate({
      ...loadScenario('admin-via-group'),
      tenantId,
      faults: [{ match: 'transitiveMemberOf', inBatch: true, kind: 'malformed', times: 1 }],
    });
    const result = await scan(tenantId, emulatorEnv(emulator));
    expect(result.findings.map((f: any) => f.verdict)).not.toContain('not-admin');
  });

  // src/core/verdict.ts decide(), case 'on': the failure time is not compared with the switch history
  // (only the 'off' branch calls switchValueAt), so an admin who failed while admin SSPR was off, but
  // whose lookup failed in the scan that fixed it, is judged `propagating` by the next scan and never
  // joins the incident or its ticket.
  test('when one admin could not be read in the scan that fixed the tenant, then the next scan still adds that admin to the incident', async () => {
    const tenantId = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    const admin = (id: string, n: number) => ({
      id,
      userPrincipalName: `admin${n}@contoso.com`,
      displayName: `Admin ${n}`,
      onPremisesSyncEnabled: true,
      roles: ['62e90394-69f5-4237-9190-012177145e10'],
      groups: [],
    });
    const failure = (id: string, at: string) => ({
      at,
      activity: 'Reset password (self-service)',
      result: 'failure' as const,
      resultReason: 'User is not enabled for SSPR',
      target: id,
    });
    const emulator = await emulate({
      name: 'two-admins-one-unreadable',
      description:
        'Two admins fail while admin SSPR is off; the second one cannot be read for one whole scan.',
      tenantId,
      policy: false,
      users: [admin(a, 1), admin(b, 2)],
      events: [failure(a, '-40m'), failure(b, '-35m')],
      faults: [
        {
          match: `^/v1\\.0/users/${b}\\?`,
          inBatch: true,
          kind: 'status',
          status: 503,
          retryAfter: 0,
          times: 6,
        },
      ],
      automation: { runForMs: 300 },
    });
    const env = emulatorEnv(emulator, {
      STATE_STORAGE: world.azurite.connectionString,
      ACTION_MODE: 'remediate',
      ...emulatorActionEnv(emulator, 'webhook'),
    });
    const first = await scan(tenantId, env);
    expect(first.incidents[0]).toMatchObject({ state: 'resolved', userIds: [a] });
    await scan(tenantId, env);
    expect((await storedUserIds(tenantId, env)).sort()).toEqual([a, b].sort());
  });
});
