import crypto from 'node:crypto';
import fs from 'node:fs';
import { type RunningEmulator, type Scenario } from '../../emulator';
import { createLocalCertificate } from '../../emulator/certificate';
import { startIngestion } from '../../emulator/ingestion/ingestionServer';
import { emulatorActionEnv } from '../../src/local/emulatorEnv';
import { runCli } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';
import { functionsEnv, takeMessages as takeQueued } from '../helpers/scanQueue';
import {
  http,
  invokeBundle,
  useFunctionsWorkers,
  type FunctionsWorker,
  type Invocation,
  type TriggerInput,
} from './bundleChild';

/**
 * The triggers end to end, from the bundle, in worker processes (trusting the emulator's certificate):
 * each test's calls go to one warm worker, as the host sends them, and scans that race each other run
 * in processes of their own; against the HTTPS tenant emulator and a real Azurite. The test plays the
 * host: it invokes the timer and HTTP functions, takes what they queued from sspr-scans and hands
 * each message to tenantScan with its dequeue count, as the queue trigger would.
 */
const world = useEmulatedWorld();
const emulate = (change?: (scenario: Scenario) => Scenario) => world.emulate('admin-policy-off', { change });

const appEnv = (emulator: RunningEmulator, tenantId: string, extra: Record<string, string> = {}) =>
  functionsEnv(emulator, world.azurite.connectionString, tenantId, extra);

const takeMessages = (tenantId: string) => takeQueued(world.azurite.connectionString, tenantId);

/** Where invocations go: a test's warm worker, or a cold worker process per call (for races between processes). */
type Functions = Pick<FunctionsWorker, 'invoke'>;
const functionsWorker = useFunctionsWorkers();
const cold = (env: NodeJS.ProcessEnv): Functions => ({
  invoke: (name, trigger) => invokeBundle(name, trigger, env),
});
const run = (name: string, trigger: TriggerInput, fns: Functions) => fns.invoke(name, trigger);
const scanQueued = (message: unknown, fns: Functions, dequeueCount = 1) =>
  run('tenantScan', { kind: 'queue', message, dequeueCount }, fns);
const scanStatus = (scanId: string, fns: Functions) =>
  run('scanStatus', http('GET', `/api/scans/${scanId}`, { params: { id: scanId } }), fns);
/** Held until the test calls emulator.releaseHeld(): the scan that reads it holds the tenant lease meanwhile. */
const FIRST_AUDIT_PAGE_HELD = {
  match: '^/v1\\.0/auditLogs/directoryAudits\\?',
  kind: 'hold',
  times: 1,
} as const;
const logText = (invocation: Invocation) =>
  invocation.logs.map((line) => `${line.level}: ${line.message}`).join('\n');

describe('timer → queue → tenantScan', () => {
  test('when the schedule fires for several tenants, then their scans are spread over SCAN_SPREAD: only the first can start at once', async () => {
    const { emulator } = await emulate();
    const tenants = [1, 2, 3].map(() => crypto.randomUUID());
    const fns = await functionsWorker(appEnv(emulator, tenants.join(','), { SCAN_SPREAD: '30m' }));
    const timer = await run('scheduledScan', { kind: 'timer' }, fns);
    expect(timer.error).toBeUndefined();
    // The file's first test: the registry holds just these three, queued by id at 0, 10 and 20 minutes.
    const delayOf = (tenantId: string) =>
      Number(new RegExp(`of tenant ${tenantId} to start in (\\d+) s`).exec(logText(timer))?.[1] ?? 0);
    expect(tenants.map(delayOf).sort((a, b) => a - b)).toEqual([0, 600, 1200]);
    // Only the first is visible now; the later two stay invisible to every worker until their time.
    // (The visible one first: looking for another tenant's hides it for a second.)
    const byDelay = [...tenants].sort((a, b) => delayOf(a) - delayOf(b));
    expect(await takeMessages(byDelay[0])).toHaveLength(1);
    expect(await takeMessages(byDelay[1])).toEqual([]);
    expect(await takeMessages(byDelay[2])).toEqual([]);
  });

  test('when the schedule fires, then one message per tenant is queued, and its scan records the incident in state', async () => {
    const { emulator, tenantId } = await emulate();
    const env = appEnv(emulator, tenantId);
    const fns = await functionsWorker(env);

    const timer = await run('scheduledScan', { kind: 'timer', isPastDue: true }, fns);
    expect(timer.error).toBeUndefined();
    expect(logText(timer)).toContain('isPastDue=true');
    const messages = await takeMessages(tenantId);
    expect(messages).toEqual([
      { message: { tenantId, scanId: expect.any(String), requestedBy: 'timer' }, dequeueCount: 1 },
    ]);

    const scan = await scanQueued(messages[0].message, fns);
    expect(scan.error).toBeUndefined();
    expect(logText(scan)).toMatch(/succeeded: \d+ events, 1 users with failures, 1 confirmed, 1 incident/);

    const incidents = await run(
      'listIncidents',
      http('GET', '/api/incidents', { query: { tenantId, state: 'open' } }),
      fns,
    );
    expect(incidents.response!.json.incidents).toEqual([
      expect.objectContaining({
        tenantId,
        cause: 'SSPR_009',
        state: 'open',
        userIds: ['663c5d4d-ceff-5c07-82ba-6e81b6651f11'],
      }),
    ]);
    const one = await run(
      'getIncident',
      http('GET', `/api/incidents/${incidents.response!.json.incidents[0].id}`, {
        params: { id: incidents.response!.json.incidents[0].id },
      }),
      fns,
    );
    expect(one.response).toMatchObject({ status: 200, json: { tenantId, state: 'open' } });

    const health = await run('health', http('GET', '/api/health'), fns);
    expect(health.response!.status).toBe(200);
    // The registry also holds the file's earlier tenants, never scanned: they are listed, this one too.
    const { fleet, tenants } = health.response!.json;
    expect(fleet).toEqual({ tenants: 4, enabled: 4, neverScanned: 3, failing: 0, listed: 4 });
    expect(tenants.find((entry: any) => entry.tenantId === tenantId)).toEqual({
      tenantId,
      enabled: true,
      lastScan: { at: expect.any(String), outcome: 'scanned', code: null },
      lastSucceededAt: expect.any(String),
      lastSucceededScanId: messages[0].message.scanId,
      lastStatus: 'succeeded',
      checkpoint: expect.any(String),
    });
    expect(health.response!.body).not.toContain(emulator.identityHeader);
  });
});

describe('POST /api/scans → tenantScan → GET /api/scans/{id}', () => {
  test('when a scan is requested over HTTP, then 202 + Location, and the status ends succeeded with the result', async () => {
    const { emulator, tenantId } = await emulate();
    const env = appEnv(emulator, tenantId);
    const fns = await functionsWorker(env);
    const asked = await run(
      'startScan',
      http('POST', '/api/scans', {
        body: { tenantId, mode: 'report' },
        headers: { 'x-ms-client-principal-name': 'ops@contoso.com' },
      }),
      fns,
    );
    expect(asked.response).toMatchObject({
      status: 202,
      headers: { location: expect.stringMatching(/^\/api\/scans\/[0-9a-f-]{36}$/) },
    });
    const scanId = asked.response!.json.scanId;
    expect(asked.response!.headers.location).toBe(`/api/scans/${scanId}`);
    // The App Service principal header is anyone's to set: it names nobody.
    expect((await scanStatus(scanId, fns)).response!.json).toMatchObject({
      status: 'queued',
      principal: null,
    });

    const [queued] = await takeMessages(tenantId);
    expect(queued.message).toEqual({ tenantId, scanId, requestedBy: 'http', mode: 'report' });
    expect((await scanQueued(queued.message, fns)).error).toBeUndefined();

    const status = (await scanStatus(scanId, fns)).response!;
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      scanId,
      tenantId,
      status: 'succeeded',
      requestedBy: 'http',
      attempts: 1,
      error: null,
      resultTruncated: false,
    });
    expect(status.json.result).toMatchObject({
      tenantId,
      findings: [expect.objectContaining({ verdict: 'confirmed' })],
      incidents: [expect.objectContaining({ state: 'open' })],
    });

    // The same message delivered again (at-least-once queues) does not scan twice.
    const again = await scanQueued(queued.message, fns, 2);
    expect(logText(again)).toContain('duplicate');
    expect(
      emulator.requests.filter((r) => r.path.includes('/auditLogs/directoryAudits')).length,
    ).toBeGreaterThan(0);
  });
});

describe('one writer per tenant', () => {
  test('when the timer and an HTTP scan run one tenant at once, then one scans and the other is skipped-busy; one incident', async () => {
    // The first audit page is held until the second scan is done, so the first surely holds the tenant lease meanwhile.
    const { emulator, tenantId } = await emulate(
      (s) => ({ ...s, faults: [FIRST_AUDIT_PAGE_HELD] }) as Scenario,
    );
    const env = appEnv(emulator, tenantId);
    const fns = await functionsWorker(env);
    await run('scheduledScan', { kind: 'timer' }, fns);
    await run('startScan', http('POST', '/api/scans', { body: { tenantId } }), fns);
    const messages = await takeMessages(tenantId);
    expect(messages.map((m) => m.message.requestedBy).sort()).toEqual(['http', 'timer']);
    const [first, second] = messages;

    let firstDone = false;
    const firstRun = scanQueued(first.message, cold(env)).finally(() => (firstDone = true));
    while (emulator.heldRequests() === 0 && !firstDone)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const secondRun = await scanQueued(second.message, cold(env));
    emulator.releaseHeld();
    expect(secondRun.error).toBeUndefined();
    expect(logText(secondRun)).toContain('skipped-busy');
    expect((await firstRun).error).toBeUndefined();

    expect((await scanStatus(first.message.scanId, fns)).response!.json.status).toBe('succeeded');
    expect((await scanStatus(second.message.scanId, fns)).response!.json).toMatchObject({
      status: 'skipped-busy',
      error: { code: 'SCAN.TENANT_BUSY' },
    });
    const incidents = await run('listIncidents', http('GET', '/api/incidents', { query: { tenantId } }), fns);
    expect(incidents.response!.json.incidents).toHaveLength(1);
  });
});

describe('ten scans of one tenant at once, from every entry point', () => {
  test('when 3 timer, 3 HTTP and 4 CLI scans start together in remediate mode, then one writes, nine are refused busy; one incident, one ticket, one job', async () => {
    // The writer's first audit page is held until the nine others have finished: it holds the tenant
    // lease while each of them asks for it, however long a loaded machine takes to start them.
    const { emulator, tenantId } = await emulate(
      (s) => ({ ...s, faults: [FIRST_AUDIT_PAGE_HELD] }) as Scenario,
    );
    const env = appEnv(emulator, tenantId, {
      ACTION_MODE: 'remediate',
      ...emulatorActionEnv(emulator, 'webhook'),
    });
    const fns = await functionsWorker(env);
    for (let n = 0; n < 3; n++) {
      await run('scheduledScan', { kind: 'timer' }, fns);
      await run('startScan', http('POST', '/api/scans', { body: { tenantId } }), fns);
    }
    const messages = await takeMessages(tenantId);
    expect(messages.map((m) => m.message.requestedBy).sort()).toEqual([
      'http',
      'http',
      'http',
      'timer',
      'timer',
      'timer',
    ]);

    let finished = 0;
    const counted = <T>(run: Promise<T>) =>
      run.finally(() => {
        if (++finished >= 9) emulator.releaseHeld();
      });
    const [queued, cli] = await Promise.all([
      Promise.all(messages.map(({ message }) => counted(scanQueued(message, cold(env))))),
      Promise.all(
        Array.from({ length: 4 }, () => counted(runCli(['scan', '--tenant', tenantId, '--json'], env))),
      ),
    ]);
    const statuses = await Promise.all(messages.map(({ message }) => scanStatus(message.scanId, fns)));
    const outcomes = [
      ...statuses.map((status) => status.response!.json.status as string),
      ...cli.map((scan) =>
        scan.code === 0
          ? 'succeeded'
          : /SCAN\.TENANT_BUSY/.test(scan.stderr)
            ? 'skipped-busy'
            : `exit ${scan.code}: ${scan.stderr}`,
      ),
    ];
    expect(queued.map((invocation) => invocation.error)).toEqual(queued.map(() => undefined));
    expect(outcomes.filter((outcome) => outcome === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'skipped-busy')).toHaveLength(9);

    const resolved = await run(
      'listIncidents',
      http('GET', '/api/incidents', { query: { tenantId, state: 'resolved' } }),
      fns,
    );
    expect(resolved.response!.json.incidents).toEqual([
      expect.objectContaining({ tenantId, state: 'resolved' }),
    ]);
    expect(
      (await run('listIncidents', http('GET', '/api/incidents', { query: { tenantId } }), fns)).response!.json
        .incidents,
    ).toEqual([]);
    expect(
      emulator.tickets.webhook.deliveries.filter((d) => (d.body as { event: string }).event === 'opened'),
    ).toHaveLength(1);
    expect(
      emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201),
    ).toHaveLength(1);
  });
});

describe('approval over HTTP', () => {
  test('when an approver with an Entra ID token and the Incidents.Approve role approves, then the fix runs and the incident records them', async () => {
    const { emulator, tenantId } = await emulate();
    const audience = '5e1f3c2a-0000-4000-8000-00000000a9e1';
    const env = appEnv(emulator, tenantId, {
      ACTION_MODE: 'approve',
      API_AUDIENCE: audience,
      API_AUTHORITY_HOST: emulator.loginUrl,
      ...emulatorActionEnv(emulator, 'webhook'),
    });
    const fns = await functionsWorker(env);
    const oid = '0b5e9e4c-0000-4000-8000-0000000000a1';
    const token = await emulator.signApiToken({
      audience,
      roles: ['Incidents.Approve'],
      oid,
      preferredUsername: 'ops.lead@contoso.com',
    });
    // With an app registration for the API, scans and reads need their roles too.
    const operator = {
      authorization: `Bearer ${await emulator.signApiToken({ audience, roles: ['Scans.Run', 'Incidents.Read'] })}`,
    };
    await run('startScan', http('POST', '/api/scans', { body: { tenantId }, headers: operator }), fns);
    const [queued] = await takeMessages(tenantId);
    expect((await scanQueued(queued.message, fns)).error).toBeUndefined();
    const listed = await run(
      'listIncidents',
      http('GET', '/api/incidents', { query: { tenantId, state: 'ticketed' }, headers: operator }),
      fns,
    );
    const [incident] = listed.response!.json.incidents;
    expect(incident).toMatchObject({ tenantId, state: 'ticketed', approval: null });

    const approved = await run(
      'approveIncident',
      // A forged App Service principal header is ignored: only the token speaks for the caller.
      http('POST', `/api/incidents/${incident.id}/approve`, {
        params: { id: incident.id },
        headers: { authorization: `Bearer ${token}`, 'x-ms-client-principal-name': 'not-me@contoso.com' },
      }),
      fns,
    );
    expect(approved.response!.status).toBe(200);
    expect(approved.response!.json).toMatchObject({
      id: incident.id,
      state: 'resolved',
      approval: { by: `ops.lead@contoso.com (${oid})` },
    });
    expect(approved.response!.json.transitions.map((t: any) => t.to)).toEqual([
      'open',
      'ticketed',
      'approved',
      'remediating',
      'verifying',
      'resolved',
    ]);
    expect(
      emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201),
    ).toHaveLength(1);

    // Approving again is harmless: the first approver stays on record and no second job starts.
    const other = await emulator.signApiToken({
      audience,
      roles: ['Incidents.Approve'],
      preferredUsername: 'ops@contoso.com',
    });
    const twice = await run(
      'approveIncident',
      http('POST', `/api/incidents/${incident.id}/approve`, {
        params: { id: incident.id },
        headers: { authorization: `Bearer ${other}` },
      }),
      fns,
    );
    expect(twice.response).toMatchObject({
      status: 200,
      json: { state: 'resolved', approval: { by: `ops.lead@contoso.com (${oid})` } },
    });
    expect(
      emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201),
    ).toHaveLength(1);
  });
});

describe('failures and poison messages', () => {
  const failingGraph = (s: Scenario) =>
    ({
      ...s,
      faults: [{ match: '^/v1\\.0/auditLogs/directoryAudits\\?', kind: 'status', status: 503, times: -1 }],
    }) as Scenario;

  test('when a scan fails, then it is recorded failed and thrown for a retry; on the last try it is reported as ScanPoisoned', async () => {
    const { emulator, tenantId } = await emulate(failingGraph);
    const env = appEnv(emulator, tenantId, { GRAPH_MAX_ATTEMPTS: '1' });
    const fns = await functionsWorker(env);
    await run('scheduledScan', { kind: 'timer' }, fns);
    const [queued] = await takeMessages(tenantId);

    const firstTry = await scanQueued(queued.message, fns, 1);
    expect(firstTry.error).toBeDefined();
    expect(logText(firstTry)).toMatch(/error: scan .* failed on try 1 of 5 \(retried\)/);
    expect(logText(firstTry)).not.toContain('ScanPoisoned');
    expect((await scanStatus(queued.message.scanId, fns)).response!.json).toMatchObject({
      status: 'failed',
      attempts: 1,
      poisoned: false,
      error: { code: expect.stringMatching(/^GRAPH\./) },
    });

    const lastTry = await scanQueued(queued.message, fns, 5);
    expect(lastTry.error).toBeDefined();
    const alert = lastTry.logs.find((line) => line.message.startsWith('ScanPoisoned '));
    expect(alert?.level).toBe('error');
    expect(JSON.parse(alert!.message.slice('ScanPoisoned '.length))).toMatchObject({
      source: 'last-attempt',
      scanId: queued.message.scanId,
      tenantId,
      dequeueCount: 5,
      code: expect.stringMatching(/^GRAPH\./),
    });
    expect((await scanStatus(queued.message.scanId, fns)).response!.json).toMatchObject({
      status: 'failed',
      attempts: 5,
      poisoned: true,
    });

    // The host then moves it to sspr-scans-poison: already reported, so no second alert.
    const poisonQueue = await run(
      'scanPoisoned',
      { kind: 'queue', message: queued.message, dequeueCount: 1 },
      fns,
    );
    expect(poisonQueue.error).toBeUndefined();
    expect(logText(poisonQueue)).not.toContain('ScanPoisoned {');
  });

  test('when a message reaches the poison queue without a reported last try, or is not a scan message, then ScanPoisoned is logged', async () => {
    const { emulator, tenantId } = await emulate();
    const env = appEnv(emulator, tenantId);
    const fns = await functionsWorker(env);
    await run('scheduledScan', { kind: 'timer' }, fns);
    const [queued] = await takeMessages(tenantId);
    // Its last try timed out: the row still says queued.
    const poisoned = await run(
      'scanPoisoned',
      { kind: 'queue', message: queued.message, dequeueCount: 1 },
      fns,
    );
    const alert = poisoned.logs.find((line) => line.message.startsWith('ScanPoisoned '));
    expect(JSON.parse(alert!.message.slice('ScanPoisoned '.length))).toMatchObject({
      source: 'poison-queue',
      scanId: queued.message.scanId,
      code: 'QUEUE.POISONED',
    });
    expect((await scanStatus(queued.message.scanId, fns)).response!.json).toMatchObject({
      status: 'failed',
      poisoned: true,
      error: { code: 'QUEUE.POISONED' },
    });

    const garbage = await scanQueued('{"hello": "world"}', fns);
    expect(garbage.error).toBeUndefined();
    expect(garbage.logs.find((line) => line.message.startsWith('ScanPoisoned '))).toMatchObject({
      level: 'error',
      message: expect.stringContaining('"source":"invalid-message"'),
    });
    expect(emulator.requests.filter((r) => r.path.includes('/auditLogs/'))).toHaveLength(0);
  });
});

describe('telemetry from the bundle', () => {
  test('when APPLICATIONINSIGHTS_CONNECTION_STRING is set, then a failed scan sends ScanFailed through the separately bundled exporter', async () => {
    // NODE_EXTRA_CA_CERTS can hold only one of the two self-signed certificates (both are CN=localhost,
    // and OpenSSL takes the first by name): trust the ingestion endpoint's, and let Graph be unreachable.
    const certificate = await createLocalCertificate();
    const ingestion = await startIngestion(certificate);
    try {
      const { emulator, tenantId } = await emulate();
      const env = appEnv(emulator, tenantId, {
        NODE_EXTRA_CA_CERTS: certificate.certPath,
        GRAPH_ENDPOINT: 'https://127.0.0.1:9',
        GRAPH_MAX_ATTEMPTS: '1',
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${ingestion.url}`,
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
      });
      const fns = await functionsWorker(env);
      await run('scheduledScan', { kind: 'timer' }, fns);
      const [queued] = await takeMessages(tenantId);
      const scan = await scanQueued(queued.message, fns);
      expect(scan.error?.code).toMatch(/^(GRAPH|AUTH)\./);
      const failed = ingestion.envelopes.filter(
        (e) =>
          e.data?.baseType === 'EventData' &&
          e.data.baseData?.name === 'ScanFailed' &&
          e.data.baseData.properties?.tenantId === tenantId,
      );
      expect(failed).toEqual([
        expect.objectContaining({
          data: expect.objectContaining({
            baseData: expect.objectContaining({
              properties: expect.objectContaining({ code: scan.error!.code }),
            }),
          }),
        }),
      ]);
    } finally {
      await ingestion.stop();
      fs.rmSync(certificate.dir, { recursive: true, force: true });
    }
  });
});
