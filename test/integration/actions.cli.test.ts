import { spawn } from 'node:child_process';
import { type RunningEmulator, type Scenario } from '../../emulator';
import { emulatorSecretsIn } from '../../emulator/tokens';
import { cliPath, emulatorActionEnv, emulatorEnv, type TicketSystem } from '../../src/local/emulatorEnv';
import { breakLease } from '../../bench/lib/lease';
import { parseJson, runCli } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * Modes end to end: the CLI as a process, the HTTPS emulator (Graph, Resource Manager, webhook
 * receiver) and a real Azurite. Asserts what the outside world saw: tickets, comments, jobs, PATCHes.
 */
const world = useEmulatedWorld();
const emulate = (name: string, change?: (scenario: Scenario) => Scenario) => world.emulate(name, { change });

function actionEnv(
  emulator: RunningEmulator,
  mode: string,
  extra: Record<string, string> = {},
  system: TicketSystem = 'webhook',
) {
  return emulatorEnv(emulator, {
    STATE_STORAGE: world.azurite.connectionString,
    ACTION_MODE: mode,
    ...emulatorActionEnv(emulator, system),
    ...extra,
  });
}

const deliveries = (emulator: RunningEmulator) =>
  emulator.tickets.webhook.deliveries.map((d) => (d.body as { event: string }).event);
const jobsCreated = (emulator: RunningEmulator) =>
  emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201);
const policyPatches = (emulator: RunningEmulator) =>
  emulator.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/policies/authorizationPolicy'));

async function scan(tenantId: string, env: NodeJS.ProcessEnv) {
  const run = await runCli(['scan', '--tenant', tenantId, '--json'], env);
  return { run, result: parseJson(run) };
}

describe('remediate mode', () => {
  test('when an admin is confirmed, then one ticket, one runbook job, a verified policy and a resolved ticket follow', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const { run, result } = await scan(tenantId, actionEnv(emulator, 'remediate'));
    expect(run.code).toBe(0);
    const [incident] = result.incidents;
    expect(incident.state).toBe('resolved');
    expect(incident.ticket).toMatchObject({ system: 'webhook', id: incident.id });
    expect(incident.remediation).toMatchObject({
      method: 'runbook',
      status: 'Completed',
      jobName: expect.any(String),
    });
    expect(incident.transitions.map((t: any) => t.to)).toEqual([
      'open',
      'ticketed',
      'remediating',
      'verifying',
      'resolved',
    ]);
    expect(deliveries(emulator)).toEqual(['opened', 'resolved']);
    expect(jobsCreated(emulator)).toHaveLength(1);
    // The next scan has nothing to do: no second ticket, no second job.
    const again = await scan(tenantId, actionEnv(emulator, 'remediate'));
    expect(again.result.incidents).toEqual([]);
    expect(deliveries(emulator)).toEqual(['opened', 'resolved']);
    expect(jobsCreated(emulator)).toHaveLength(1);
  });

  test('when the runbook fails, then the incident ends failed and the ticket says so', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off', (s) => ({
      ...s,
      automation: { ...s.automation!, outcome: 'fails' },
    }));
    const { result } = await scan(tenantId, actionEnv(emulator, 'remediate'));
    expect(result.incidents[0]).toMatchObject({ state: 'failed', remediation: { status: 'Failed' } });
    expect(deliveries(emulator)).toEqual(['opened', 'failed']);
  });

  test('when the job completes but the policy stays off, then it is never called resolved, and fails after VERIFY_FOR', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off', (s) => ({
      ...s,
      automation: { ...s.automation!, outcome: 'completes-without-fix' },
    }));
    // Long enough that the first scan, however slowly a busy machine runs it, reads the policy inside it.
    const verifyForMs = 10_000;
    const env = actionEnv(emulator, 'remediate', { VERIFY_FOR: `${verifyForMs / 1000}s` });
    const first = await scan(tenantId, env);
    expect(first.result.incidents[0]).toMatchObject({
      state: 'verifying',
      remediation: { status: 'Completed' },
    });
    // updatedAt is when verifying began; the next scan comes once VERIFY_FOR has passed since then.
    const waitMs = Date.parse(first.result.incidents[0].updatedAt) + verifyForMs + 500 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
    const second = await scan(tenantId, env);
    expect(second.result.incidents[0].state).toBe('failed');
    expect(deliveries(emulator)).toEqual(['opened', 'failed']);
    expect(jobsCreated(emulator)).toHaveLength(1);
  });

  test('when someone switched admin SSPR off on purpose, then no fix runs and the ticket names them, unless reverting is allowed', async () => {
    const { emulator, tenantId } = await emulate('hardened-tenant');
    const guarded = await scan(tenantId, actionEnv(emulator, 'remediate'));
    expect(guarded.result.incidents[0]).toMatchObject({
      state: 'ticketed',
      disabledBy: { by: 'baseline.admin@woodgrove.com' },
    });
    expect(jobsCreated(emulator)).toHaveLength(0);
    const opened = emulator.tickets.webhook.deliveries[0].body as { text: string };
    expect(opened.text).toContain('baseline.admin@woodgrove.com');
    expect(deliveries(emulator)).toEqual(['opened', 'updated']);

    const allowed = await scan(
      tenantId,
      actionEnv(emulator, 'remediate', { ALLOW_REVERTING_HARDENING: 'true' }),
    );
    expect(allowed.result.incidents[0].state).toBe('resolved');
    expect(jobsCreated(emulator)).toHaveLength(1);
  });

  test('when REMEDIATION_METHOD=graph, then the policy is PATCHed once and verified', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const { result } = await scan(
      tenantId,
      actionEnv(emulator, 'remediate', { REMEDIATION_METHOD: 'graph' }),
    );
    expect(result.incidents[0]).toMatchObject({
      state: 'resolved',
      remediation: { method: 'graph', jobName: null },
    });
    expect(policyPatches(emulator)).toHaveLength(1);
    expect(jobsCreated(emulator)).toHaveLength(0);
  });
});

describe('ticket and approve modes', () => {
  test('when a second scan finds another admin, then the ticket gets a comment, not a second ticket', async () => {
    const { emulator, tenantId } = await emulate('late-events');
    const env = actionEnv(emulator, 'ticket');
    const first = await scan(tenantId, env);
    expect(first.result.incidents[0].state).toBe('ticketed');
    emulator.releaseLateEvents();
    const second = await scan(tenantId, env);
    expect(second.result.incidents[0].userIds).toHaveLength(2);
    expect(deliveries(emulator)).toEqual(['opened', 'updated']);
    expect(new Set(emulator.tickets.webhook.deliveries.map((d) => d.idempotencyKey)).size).toBe(2);
    expect(policyPatches(emulator)).toHaveLength(0);
    expect(jobsCreated(emulator)).toHaveLength(0);
  });

  test('when a person switches admin SSPR on, then the ticketed incident resolves on the next scan', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = actionEnv(emulator, 'ticket');
    await scan(tenantId, env);
    emulator.setPolicy(true);
    const { result } = await scan(tenantId, env);
    expect(result.incidents[0].state).toBe('resolved');
    expect(deliveries(emulator)).toEqual(['opened', 'resolved']);
  });

  test('when approval is required, then nothing runs until someone approves; then the fix runs and resolves', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = actionEnv(emulator, 'approve');
    const { result } = await scan(tenantId, env);
    const id = result.incidents[0].id;
    expect(result.incidents[0].state).toBe('ticketed');
    expect(jobsCreated(emulator)).toHaveLength(0);

    const missingBy = await runCli(['approve', id, '--tenant', tenantId], env);
    expect(missingBy.code).toBe(2);
    const approved = await runCli(
      ['approve', id, '--tenant', tenantId, '--by', 'ops.lead@contoso.com', '--json'],
      env,
    );
    expect(approved.code).toBe(0);
    const incident = parseJson(approved);
    expect(incident).toMatchObject({ state: 'resolved', approval: { by: 'ops.lead@contoso.com' } });
    expect(incident.transitions.map((t: any) => t.to)).toEqual([
      'open',
      'ticketed',
      'approved',
      'remediating',
      'verifying',
      'resolved',
    ]);
    expect(jobsCreated(emulator)).toHaveLength(1);
  });
});

describe('every ticket system, wired through the settings', () => {
  // What each fake holds after the scan: one ticket for the incident, closed once the fix is verified.
  const filed: Record<TicketSystem, (e: RunningEmulator) => unknown[]> = {
    servicenow: (e) => e.tickets.servicenow.incidents,
    jira: (e) => e.tickets.jira.issues,
    azuredevops: (e) => e.tickets.azureDevOps.workItems,
    github: (e) => e.tickets.github.issues,
    webhook: (e) => deliveries(e).filter((event) => event === 'opened'),
  };

  test.each(Object.keys(filed) as TicketSystem[])(
    'when TICKET_SYSTEM=%s in remediate mode, then one ticket is filed and the incident resolves',
    async (system) => {
      const { emulator, tenantId } = await emulate('admin-policy-off');
      const env = actionEnv(emulator, 'remediate', {}, system);
      const { run, result } = await scan(tenantId, env);
      expect(run.stderr).toBe('');
      expect(result.incidents[0]).toMatchObject({ state: 'resolved', ticket: { system } });
      await scan(tenantId, env);
      expect(filed[system](emulator)).toHaveLength(1);
      const sent = JSON.stringify(emulator.tickets.requests);
      expect(emulatorSecretsIn(sent)).toEqual([]);
    },
  );
});

describe('a crash at any step', () => {
  // Kills the scan the moment the emulator sees the named request, then reruns it to the end.
  async function killWhen(
    seen: (emulator: RunningEmulator) => boolean,
    emulator: RunningEmulator,
    tenantId: string,
    env: NodeJS.ProcessEnv,
  ) {
    const child = spawn(process.execPath, [cliPath(), 'scan', '--tenant', tenantId, '--json'], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const watcher = setInterval(() => {
      if (seen(emulator)) child.kill('SIGKILL');
    }, 2);
    await exited;
    clearInterval(watcher);
    // The killed scan's tenant lease would run out within 15 s, as it would before the next timer run
    // (tenantLease.test.ts shows expiry); its holder is dead, so the lease is broken instead of waited for.
    // The rerun then waits out whatever the killed scan may still have had in flight (ARCHITECTURE.md).
    await breakLease(world.azurite.connectionString, tenantId);
    const rerun = await runCli(['scan', '--tenant', tenantId, '--json'], env);
    expect(rerun.stderr).not.toContain('SCAN.TENANT_BUSY');
    return { run: rerun, result: parseJson(rerun) };
  }

  test.each([
    ['the ticket was delivered', (e: RunningEmulator) => deliveries(e).length >= 1],
    ['the runbook job was created', (e: RunningEmulator) => jobsCreated(e).length >= 1],
    [
      'the job was first polled',
      (e: RunningEmulator) => e.requests.some((r) => r.method === 'GET' && r.path.includes('/jobs/')),
    ],
  ])(
    'when the scan is killed right after %s, then a rerun ends with one ticket and one job',
    async (_, seen) => {
      const { emulator, tenantId } = await emulate('admin-policy-off');
      const env = actionEnv(emulator, 'remediate', { TENANT_LEASE_SECONDS: '15' });
      const { result } = await killWhen(seen, emulator, tenantId, env);
      expect(result.incidents[0]?.state ?? 'resolved-by-first-run').toMatch(/resolved/);
      expect(deliveries(emulator).filter((event) => event === 'opened')).toHaveLength(1);
      expect(jobsCreated(emulator)).toHaveLength(1);
      // Up to a lease period for the killed scan's lease, then up to 45 s for its request in flight.
    },
    240_000,
  );
});

describe('one writer per tenant', () => {
  test('when two scans of one tenant start together, then one acts and the other is refused with SCAN.TENANT_BUSY; one ticket, one job', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = actionEnv(emulator, 'remediate');
    const runs = await Promise.all([
      runCli(['scan', '--tenant', tenantId, '--json'], env),
      runCli(['scan', '--tenant', tenantId, '--json'], env),
    ]);
    const refused = runs.filter((run) => run.code === 1);
    // Usually one is refused; if the first finished before the second started, both ran in turn.
    for (const run of refused) expect(run.stderr).toContain('SCAN.TENANT_BUSY');
    expect(runs.filter((run) => run.code === 0).length).toBeGreaterThanOrEqual(1);
    expect(deliveries(emulator).filter((event) => event === 'opened')).toHaveLength(1);
    expect(jobsCreated(emulator)).toHaveLength(1);
    // Up to a lease period for the killed scan's lease, then up to 45 s for its request in flight.
  }, 240_000);
});

describe('telemetry', () => {
  test('when ingestion requires Entra (local auth disabled), then the exporter gets a token for Azure Monitor from the managed identity', async () => {
    const { emulator, tenantId } = await emulate('admin-policy-off');
    const env = emulatorEnv(emulator, {
      APPLICATIONINSIGHTS_CONNECTION_STRING: emulator.telemetryConnectionString,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
    });
    const { run } = await scan(tenantId, env);
    expect(run.code).toBe(0);
    const tokenResources = emulator.requests
      .filter((r) => r.path.endsWith('/msi/token'))
      .map((r) => r.query.resource);
    expect(tokenResources.some((resource) => /monitor\.azure\.com/.test(resource ?? ''))).toBe(true);
    expect(emulator.telemetry.some((e: any) => e.data?.baseData?.name === 'ScanCompleted')).toBe(true);
  });

  test('when the cycle runs with Application Insights set, then each step arrives as an event, correlated, hashed and free of secrets', async () => {
    const { emulator, tenantId } = await emulate('hardened-tenant');
    const env = actionEnv(emulator, 'remediate', {
      ALLOW_REVERTING_HARDENING: 'true',
      APPLICATIONINSIGHTS_CONNECTION_STRING: emulator.telemetryConnectionString,
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      PII_MODE: 'hash',
    });
    const { run, result } = await scan(tenantId, env);
    expect(run.code).toBe(0);
    const events = emulator.telemetry
      .filter((e: any) => e.data?.baseType === 'EventData')
      .map((e: any) => e.data.baseData);
    expect(events.map((e: any) => e.name)).toEqual(
      expect.arrayContaining([
        'IncidentOpened',
        'TicketOpened',
        'RemediationStarted',
        'RemediationSucceeded',
        'VerificationSucceeded',
        'TicketUpdated',
        'ScanCompleted',
      ]),
    );
    for (const event of events) expect(event.properties.tenantId).toBe(tenantId);
    const started = events.find((e: any) => e.name === 'RemediationStarted');
    expect(started.properties).toMatchObject({
      incidentId: result.incidents[0].id,
      method: 'runbook',
      disabledByUpn: expect.stringMatching(/^sha256:/),
    });
    const sent = JSON.stringify(emulator.telemetry);
    expect(sent).not.toContain('woodgrove.com');
    expect(sent).not.toContain(emulator.tokenMarker);
    expect(sent).not.toContain(world.azurite.connectionString.match(/AccountKey=([^;]+)/)![1]);
    const metrics = emulator.telemetry
      .filter((e: any) => e.data?.baseType === 'MetricData')
      .flatMap((e: any) => e.data.baseData.metrics.map((m: any) => m.name));
    expect(metrics).toEqual(expect.arrayContaining(['SsprFailures', 'ConfirmedAdmins', 'GraphThrottled']));
  });
});
