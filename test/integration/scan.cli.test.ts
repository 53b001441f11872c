import { DefaultAzureCredential } from '@azure/identity';
import type { RunningEmulator } from '../../emulator';
import { emulatorEnv } from '../../src/local/emulatorEnv';
import { TableStateStore } from '../../src/adapters/storage/tableStateStore';
import { parseJson, runCli, runCliBatch, type CliRun } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * The CLI as its own process against the HTTPS tenant emulator (managed-identity token, Graph wire
 * format) and a real Azurite. Nothing of ours is mocked.
 */
const world = useEmulatedWorld();
const emulate = (name: string) => world.emulate(name, { keepTenantId: true });

async function scanJson(name: string, extraEnv: Record<string, string | undefined> = {}) {
  const { emulator, tenantId } = await emulate(name);
  const run = await runCli(['scan', '--tenant', tenantId, '--json'], emulatorEnv(emulator, extraEnv));
  expect(run.stderr).not.toContain(emulator.tokenMarker);
  expect(run.stdout).not.toContain(emulator.tokenMarker);
  return { run, result: parseJson(run), emulator, tenantId };
}

const verdicts = (result: any) => result.findings.map((f: any) => f.verdict).sort();

/** Reads only: every request is a GET, or the POST of a read-only $batch. */
function graphWrites(emulator: RunningEmulator) {
  return emulator.requests.filter(
    (r) => r.method !== 'GET' && !(r.method === 'POST' && r.path.endsWith('/$batch')),
  );
}

describe('sspr-remediator scan --json', () => {
  test('when two synced admins fail while admin SSPR is off, then both are confirmed in one incident and the standard user is not-admin', async () => {
    const { run, result, emulator, tenantId } = await scanJson('demo');
    expect(run.code).toBe(0);
    expect(result.tenantId).toBe(tenantId);
    expect(verdicts(result)).toEqual(['confirmed', 'confirmed', 'not-admin']);
    const confirmed = result.findings.filter((f: any) => f.verdict === 'confirmed');
    for (const finding of confirmed) {
      expect(finding).toMatchObject({ synced: true, errorCode: 'SSPR_0009' });
      expect(finding.roles.length).toBeGreaterThan(0);
      expect(finding.eventIds.length).toBeGreaterThan(0);
      expect(finding.userPrincipalName).toMatch(/@/);
    }
    expect(result.incidents).toHaveLength(1);
    expect(result.incidents[0]).toMatchObject({ cause: 'SSPR_009' });
    expect(result.incidents[0].userIds.sort()).toEqual(confirmed.map((f: any) => f.userId).sort());
    expect(result.graphRequests.total).toBeGreaterThan(0);
    expect(graphWrites(emulator)).toEqual([]);
  });

  test.each([
    ['admin-policy-off', ['confirmed']],
    ['admin-via-group', ['confirmed']],
    // Needs the transitiveMemberOf cast sent as Graph documents it (ConsistencyLevel + $count).
    ['global-admin-via-group', ['confirmed', 'not-admin']],
    ['policy-on', ['policy-on']],
    ['propagating', ['propagating']],
    ['policy-absent', ['cannot-confirm']],
    ['policy-forbidden', ['cannot-confirm']],
    ['user-deleted', ['cannot-confirm']],
    ['switched-off-after-failure', ['policy-on']],
  ])('when the tenant is "%s", then the verdicts are %j', async (scenario, expected) => {
    const { run, result, emulator } = await scanJson(scenario);
    expect(run.code).toBe(0);
    expect(verdicts(result)).toEqual(expected);
    expect(result.incidents).toHaveLength(expected.includes('confirmed') ? 1 : 0);
    expect(graphWrites(emulator)).toEqual([]);
  });

  test('when a Global Administrator holds the role only through a group, then the cast, sent as an advanced query, finds it and the standard user is not-admin', async () => {
    const { result, emulator } = await scanJson('global-admin-via-group');
    const byUpn = Object.fromEntries(result.findings.map((f: any) => [f.userPrincipalName, f]));
    expect(byUpn['megan.bowen@woodgrove.com']).toMatchObject({
      verdict: 'confirmed',
      roles: ['Global Administrator'],
    });
    expect(byUpn['joni.sherman@woodgrove.com']).toMatchObject({ verdict: 'not-admin', roles: [] });
    // The emulator answers the cast only with ConsistencyLevel: eventual and $count=true, as Graph documents.
    const casts = emulator.requests.filter(
      (r) => r.batchItem && r.path.endsWith('/transitiveMemberOf/microsoft.graph.directoryRole'),
    );
    expect(casts.map((r) => [r.status, r.query.$count])).toEqual([
      [200, 'true'],
      [200, 'true'],
    ]);
  });

  test('when administrators abandon, contact an admin or change to a banned password while admin SSPR is off, then none of them is confirmed and an unknown text is counted', async () => {
    const { result } = await scanJson('admins-past-the-gate');
    const byUpn = Object.fromEntries(result.findings.map((f: any) => [f.userPrincipalName, f]));
    // Only the administrator blocked outright is confirmed; abandoning, contacting an admin and a signed-in change are no failures.
    expect(Object.keys(byUpn).sort()).toEqual(['lynne.robbins@fabrikam.com', 'pradeep.gupta@fabrikam.com']);
    expect(byUpn['pradeep.gupta@fabrikam.com'].verdict).toBe('confirmed');
    // An unknown failure text in a flow that had already passed verification is not SSPR_009.
    expect(byUpn['lynne.robbins@fabrikam.com']).toMatchObject({
      verdict: 'cannot-confirm',
      reason: expect.stringContaining('admin gate'),
    });
    expect(result.incidents).toHaveLength(1);
    expect(result.incidents[0].userIds).toEqual([byUpn['pradeep.gupta@fabrikam.com'].userId]);
    expect(result.unmatchedReasons).toEqual([
      { reason: 'The reset could not be completed (code 0x5A)', count: 1 },
    ]);
  });

  test('when only standard users fail, then every finding is not-admin with its SSPR code and no incident is opened', async () => {
    const { result } = await scanJson('not-admin');
    expect(result.findings.length).toBeGreaterThan(0);
    for (const finding of result.findings) {
      expect(finding.verdict).toBe('not-admin');
      expect(finding.errorCode).toMatch(/^SSPR_00(11|14)$/);
    }
    expect(result.incidents).toEqual([]);
  });

  test('when only anonymous cancellations and successes are logged, then nobody is looked up', async () => {
    const { result, emulator } = await scanJson('anonymous-noise');
    expect(result.findings).toEqual([]);
    expect(result.eventsRead).toBeGreaterThan(0);
    expect(
      emulator.requests.some((r) => r.path.includes('/users/00000000-0000-0000-0000-000000000000')),
    ).toBe(false);
    expect(emulator.requests.some((r) => r.path.endsWith('/$batch'))).toBe(false);
  });

  test('when a busy tenant spreads thousands of events over pages, then every page is read and the requests meet the lower bound', async () => {
    const { result, emulator } = await scanJson('busy-tenant');
    const auditReads = emulator.requests.filter((r) => r.path.endsWith('/auditLogs/directoryAudits'));
    const ssprPages = auditReads.filter((r) =>
      (r.query.$filter ?? '').includes('Self-service Password Management'),
    ).length;
    expect(result.eventsRead).toBeGreaterThan(5000);
    expect(ssprPages).toBe(Math.ceil(result.eventsRead / 1000));
    // Three more audit reads: the switch's history, because an admin failed (each failure is judged by
    // the switch as it stood then), and the role history, once per scan as two documented filters
    // (startswith on the activity name; `or` is not documented for directoryAudits).
    expect(auditReads.length - ssprPages).toBe(3);
    const users = result.findings.length;
    // 5 lookups a user (user, role assignments, transitive roles, PIM assignment and eligibility
    // instances) + the policy + the switch's history + the role history counted as one paged read.
    const lowerBound = ssprPages + Math.ceil((5 * users) / 20) + 1 + 1 + 1;
    // One over the bound: the second role-history filter (bench/ measures the ratio at scale).
    expect(result.graphRequests).toEqual({ total: lowerBound + 1, throttled: 0 });
    expect(verdicts(result).filter((v: string) => v === 'confirmed')).toHaveLength(3);
  });

  // Each of these scans spends ~20 s waiting on 10-second windows: both run at once, each against its own emulator.
  let pacedScans:
    Promise<[Awaited<ReturnType<typeof scanJson>>, Awaited<ReturnType<typeof scanJson>>]> | undefined;
  const paced = () =>
    (pacedScans ??= Promise.all([
      scanJson('throttled', { AUDIT_REQUESTS_PER_10S: '2' }),
      scanJson('throttled', { AUDIT_REQUESTS_PER_10S: '5' }),
    ]));

  test('when the client paces to the tenant limit, then no request is throttled', async () => {
    const [{ result }] = await paced();
    expect(result.graphRequests.throttled).toBe(0);
    expect(verdicts(result)).toEqual(['confirmed']);
  });

  test('when the client is set faster than the tenant allows, then 429s are honoured and the scan still completes', async () => {
    const [, { run, result }] = await paced();
    expect(run.code).toBe(0);
    expect(result.graphRequests.throttled).toBeGreaterThan(0);
    expect(verdicts(result)).toEqual(['confirmed']);
  });

  test('when Graph answers 503, resets a connection and throttles a $batch item, then retries still reach the right verdict', async () => {
    const { run, result } = await scanJson('flaky-graph');
    expect(run.code).toBe(0);
    expect(verdicts(result)).toEqual(['confirmed']);
    expect(result.graphRequests.throttled).toBeGreaterThanOrEqual(1);
  });
});

describe('scans with state in Azure Tables (Azurite)', () => {
  test('when an event arrives late, then the next scan overlaps the last window, finds it, and does not count the first one twice', async () => {
    const { emulator, tenantId } = await emulate('late-events');
    const env = emulatorEnv(emulator, { STATE_STORAGE: world.azurite.connectionString });

    const first = parseJson(await runCli(['scan', '--tenant', tenantId, '--json'], env));
    expect(verdicts(first)).toEqual(['confirmed']);
    emulator.releaseLateEvents();
    const second = parseJson(await runCli(['scan', '--tenant', tenantId, '--json'], env));

    expect(Date.parse(second.window.from)).toBeLessThan(Date.parse(first.window.to));
    expect(second.findings.map((f: any) => f.userId)).toEqual([
      expect.not.stringMatching(first.findings[0].userId),
    ]);
    expect(second.findings[0].verdict).toBe('confirmed');
    expect(second.incidents[0].id).toBe(first.incidents[0].id);
    expect(second.incidents[0].userIds.sort()).toEqual(
      [first.findings[0].userId, second.findings[0].userId].sort(),
    );

    const listed = parseJson(await runCli(['incidents', '--tenant', tenantId, '--json'], env));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: first.incidents[0].id, state: 'open', cause: 'SSPR_009' });
  });

  test('when the same tenant is scanned twice with nothing new, then the second scan reports nothing and keeps the one incident', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = emulatorEnv(emulator, { STATE_STORAGE: world.azurite.connectionString });
    const first = parseJson(await runCli(['scan', '--tenant', tenantId, '--json'], env));
    const second = parseJson(await runCli(['scan', '--tenant', tenantId, '--json'], env));
    expect(first.findings).toHaveLength(1);
    expect(second.findings).toEqual([]);
    const listed = parseJson(await runCli(['incidents', '--tenant', tenantId, '--json'], env));
    expect(listed.map((i: any) => i.id)).toEqual([first.incidents[0].id]);
  });
});

describe('housekeeping', () => {
  test('when a recorded event is older than the audit retention, then a scan forgets it and keeps what it recorded itself', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const state = new TableStateStore(world.azurite.connectionString, new DefaultAzureCredential());
    const ancient = new Date(Date.now() - 45 * 86_400_000).toISOString();
    await state.recordEvents(tenantId, [
      { eventId: 'event-from-45-days-ago', at: ancient, userId: 'u', verdict: 'not-admin' },
    ]);
    const run = await runCli(
      ['scan', '--tenant', tenantId, '--json'],
      emulatorEnv(emulator, { STATE_STORAGE: world.azurite.connectionString }),
    );
    expect(run.code).toBe(0);
    const kept = await state.recordedEventIds(tenantId, new Date(0));
    expect(kept.has('event-from-45-days-ago')).toBe(false);
    expect(kept.size).toBe(
      parseJson(run).findings.flatMap((finding: { eventIds: string[] }) => finding.eventIds).length,
    );
  });
});

describe('errors', () => {
  test('when a setting is wrong, then the CLI exits 2 and names the setting, the value and the fix', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const run = await runCli(['scan', '--tenant', tenantId], emulatorEnv(emulator, { SCAN_OVERLAP: 'soon' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CONFIG.INVALID');
    expect(run.stderr).toContain('SCAN_OVERLAP="soon"');
  });

  const USAGE_ERRORS: [string[], string][] = [
    [['scan', '--tenant', 'contoso'], 'not a tenant id'],
    [
      ['scan', '--tenant', '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01', '--from', 'last tuesday'],
      '--from "last tuesday"',
    ],
    [['scan', '--bogus'], "Unknown option '--bogus'"],
    [['frobnicate'], 'Unknown command'],
  ];
  // None of these gets past the command line: one CLI process runs them all (see runCliBatch).
  let usageRuns: Promise<CliRun[]> | undefined;
  const usageRun = (n: number) =>
    (usageRuns ??= runCliBatch(
      USAGE_ERRORS.map(([args]) => ({
        args,
        env: emulatorEnv({
          graphUrl: 'https://127.0.0.1:9',
          tokenEndpoint: 'http://127.0.0.1:9',
          identityHeader: 'x',
          caCertPath: '/dev/null',
        }),
      })),
    )).then((runs) => runs[n]);

  test.each(USAGE_ERRORS.map(([args, message], n) => [args, message, n] as const))(
    'when the command line is %j, then it exits 2 with a usage message',
    async (_args, message, n) => {
      const run = await usageRun(n);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    },
  );

  test('when Graph cannot be reached, then the CLI exits 1 with a stable code and no partial JSON', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = emulatorEnv(emulator, { GRAPH_ENDPOINT: 'https://127.0.0.1:1', GRAPH_MAX_ATTEMPTS: '2' });
    const run = await runCli(['scan', '--tenant', tenantId, '--json'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error GRAPH\.UNREACHABLE/);
    expect(run.stdout).toBe('');
  });
});
