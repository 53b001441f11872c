import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { loadScenario, startEmulator, type RunningEmulator, type Scenario } from '../../../emulator';
import { emulatorEnv } from '../../../src/local/emulatorEnv';
import { packageRoot } from '../../../src/local/packageRoot';
import { jobNameFor } from '../../../src/adapters/automation/automationRemediator';

/**
 * The remediators as their own process, built from dist/, against the HTTPS emulator: the Automation
 * SDK (ms-rest-js, node-fetch) and the Graph SDK (undici) trust its certificate only through
 * NODE_EXTRA_CA_CERTS at start-up, and get their tokens from the managed-identity endpoint.
 */
const INCIDENT = '5d0c2f6e-8b1a-5e4f-9a7c-3b2d1e0f4a6b';

type Step = { op: 'start'; tenantId: string; incidentId: string } | { op: 'poll'; jobName: string | null };
interface StepResult {
  ok?: any;
  error?: { code: string; message: string; status?: number };
}

// Runs in the child: one remediator, the steps in order, one JSON document out.
const CHILD = String.raw`
const path = require('node:path');
const { DefaultAzureCredential } = require('@azure/identity');
const dist = path.join(process.cwd(), 'dist', 'src');
const { AutomationRemediator, loadAutomationSettings } = require(path.join(dist, 'adapters/automation/automationRemediator.js'));
const { GraphRemediator } = require(path.join(dist, 'adapters/graph/graphRemediator.js'));
const { createGraphClient } = require(path.join(dist, 'adapters/graph/graphClient.js'));

function remediator(kind) {
  const credential = new DefaultAzureCredential();
  if (kind === 'runbook') {
    const options = process.env.TEST_ATTEMPT_TIMEOUT_MS ? { attemptTimeoutMs: Number(process.env.TEST_ATTEMPT_TIMEOUT_MS) } : {};
    return new AutomationRemediator(credential, loadAutomationSettings(process.env, process.env.AZURE_CLOUD || 'AzurePublic'), options);
  }
  const stats = { total: 0, throttled: 0 };
  return new GraphRemediator(createGraphClient(credential, { graphEndpoint: process.env.GRAPH_ENDPOINT, audience: 'https://graph.microsoft.com', auditRequestsPer10s: 5, maxAttempts: 2, stats, backoffBaseMs: 10 }));
}

async function run(target, step) {
  if (step.op === 'start') return target.start(step.tenantId, step.incidentId);
  const seen = [];
  for (let i = 0; i < 300; i++) {
    const progress = await target.progress({ method: target.method, jobName: step.jobName });
    if (seen[seen.length - 1] !== progress.status) seen.push(progress.status);
    if (progress.terminal) return { ...progress, seen };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the job never ended');
}

(async () => {
  const target = remediator(process.env.TEST_REMEDIATOR);
  const results = [];
  for (const step of JSON.parse(process.env.TEST_STEPS)) {
    try {
      results.push({ ok: await run(target, step) });
    } catch (err) {
      results.push({ error: { code: err.code, message: err.message, status: err.options && err.options.status } });
    }
  }
  process.stdout.write(JSON.stringify(results));
})();
`;

const emulators: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
});

async function emulate(
  automation: Partial<NonNullable<Scenario['automation']>> = {},
  policy: Scenario['policy'] = false,
  faults: Scenario['faults'] = [],
) {
  const base = loadScenario('admin-policy-off');
  const scenario: Scenario = {
    ...base,
    policy,
    faults,
    automation: { ...base.automation, runForMs: 400, ...automation },
  };
  const emulator = await startEmulator({ scenario });
  emulators.push(emulator);
  return { emulator, tenantId: base.tenantId, automation: { ...base.automation, ...automation } };
}

function runChild(
  emulator: RunningEmulator,
  kind: 'runbook' | 'graph',
  steps: Step[],
  extraEnv: Record<string, string> = {},
): Promise<StepResult[]> {
  const env = emulatorEnv(emulator, {
    TEST_REMEDIATOR: kind,
    TEST_STEPS: JSON.stringify(steps),
    ARM_ENDPOINT: emulator.armUrl,
    AUTOMATION_SUBSCRIPTION_ID: '00000000-0000-4000-8000-00000000a001',
    AUTOMATION_RESOURCE_GROUP: 'rg-sspr',
    AUTOMATION_ACCOUNT: 'aa-sspr',
    AUTOMATION_RUNBOOK: undefined,
    ...extraEnv,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], {
      cwd: packageRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      // Tokens must never reach output, error messages included.
      expect(stdout + stderr).not.toContain(emulator.tokenMarker);
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`child exited ${code} without JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

function get(
  url: string,
  options: { ca?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(
      url,
      { headers: options.headers, ca: options.ca, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    request.on('error', reject);
  });
}

/** Reads Graph or ARM the way any client does: a managed-identity token, TLS against the emulator's CA. */
async function emulatorGet(emulator: RunningEmulator, base: string, path: string): Promise<any> {
  const audience = base === emulator.armUrl ? 'https://management.azure.com' : 'https://graph.microsoft.com';
  const token = await get(
    `${emulator.tokenEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(audience)}`,
    {
      headers: { 'x-identity-header': emulator.identityHeader },
    },
  );
  const answer = await get(`${base}${path}`, {
    ca: fs.readFileSync(emulator.caCertPath, 'utf8'),
    headers: { authorization: `Bearer ${token.json.access_token}` },
  });
  expect(answer.status).toBe(200);
  return answer.json;
}

const graphGet = (emulator: RunningEmulator, path: string) => emulatorGet(emulator, emulator.graphUrl, path);
const jobPath = (jobName: string) =>
  `/subscriptions/00000000-0000-4000-8000-00000000a001/resourceGroups/rg-sspr/providers/Microsoft.Automation/automationAccounts/aa-sspr/jobs/${jobName}`;
const armJob = (emulator: RunningEmulator, jobName: string) =>
  emulatorGet(emulator, emulator.armUrl, `${jobPath(jobName)}?api-version=2017-05-15-preview`);

const jobPuts = (emulator: RunningEmulator) =>
  emulator.requests.filter((r) => r.method === 'PUT' && /\/jobs\/[^/]+$/.test(r.path));

describe('AutomationRemediator (runbook) against the Resource Manager fake', () => {
  test('when started, then one job is created with the incident parameters, and a restart finds it instead of creating another', async () => {
    const { emulator, tenantId } = await emulate();
    const [first] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }]);
    expect(first.ok).toEqual({ method: 'runbook', jobName: jobNameFor(tenantId, INCIDENT) });

    const puts = jobPuts(emulator);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ status: 201, query: { 'api-version': '2017-05-15-preview' } });
    expect(puts[0].path).toBe(jobPath(first.ok.jobName));
    // The token was asked for Resource Manager's audience, not Graph's, and not the ARM_ENDPOINT override's origin.
    const tokenResources = emulator.requests
      .filter((r) => r.path === '/msi/token')
      .map((r) => r.query.resource);
    expect(tokenResources).toEqual(['https://management.azure.com']);

    // A new process, as after a crash: the same job name, a refused PUT, then a GET of the existing job.
    const [again] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }]);
    expect(again.ok).toEqual(first.ok);
    expect(jobPuts(emulator).map((r) => r.status)).toEqual([201, 409]);
    const jobGets = emulator.requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith(`/jobs/${first.ok.jobName}`),
    );
    expect(jobGets.map((r) => r.status)).toEqual([200]);

    const job = await armJob(emulator, first.ok.jobName);
    expect(job.properties).toMatchObject({
      runbook: { name: 'Enable-AdminSspr' },
      parameters: { TenantId: tenantId, IncidentId: INCIDENT, Method: 'Graph', Environment: 'Global' },
    });
  });

  test('when the job runs with outcome fixes, then it completes with allowedToUseSSPR true and the tenant policy is on, audited to the runbook', async () => {
    const { emulator, tenantId } = await emulate({ outcome: 'fixes' });
    const jobName = jobNameFor(tenantId, INCIDENT);
    const [started, done] = await runChild(emulator, 'runbook', [
      { op: 'start', tenantId, incidentId: INCIDENT },
      { op: 'poll', jobName },
    ]);
    expect(started.ok.jobName).toBe(jobName);
    expect(done.ok).toMatchObject({
      status: 'Completed',
      terminal: true,
      succeeded: true,
      result: { incidentId: INCIDENT, allowedToUseSSPR: true, method: 'Graph' },
    });
    expect(done.ok.seen).toContain('Completed');
    expect(
      emulator.requests.some(
        (r) => r.method === 'GET' && r.path.endsWith(`/jobs/${jobName}/output`) && r.status === 200,
      ),
    ).toBe(true);

    expect((await graphGet(emulator, '/v1.0/policies/authorizationPolicy')).allowedToUseSSPR).toBe(true);
    const audits = await graphGet(
      emulator,
      `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Update authorization policy'")}`,
    );
    const byRunbook = audits.value.filter(
      (record: any) => record.initiatedBy?.app?.displayName === 'aa-sspr',
    );
    expect(byRunbook).toHaveLength(1);
    expect(byRunbook[0].targetResources[0].modifiedProperties[0]).toMatchObject({
      displayName: 'AllowedToUseSspr',
      newValue: '[true]',
    });
  });

  test('when the runbook fails, then the job is terminal and not succeeded, with the exception as detail', async () => {
    const { emulator, tenantId } = await emulate({ outcome: 'fails' });
    const [, done] = await runChild(emulator, 'runbook', [
      { op: 'start', tenantId, incidentId: INCIDENT },
      { op: 'poll', jobName: jobNameFor(tenantId, INCIDENT) },
    ]);
    expect(done.ok).toMatchObject({ status: 'Failed', terminal: true, succeeded: false, result: null });
    expect(done.ok.detail).toContain('Insufficient privileges');
    expect((await graphGet(emulator, '/v1.0/policies/authorizationPolicy')).allowedToUseSSPR).toBe(false);
  });

  test('when the job completes without fixing, then it is Completed but not succeeded, and the policy is still off', async () => {
    const { emulator, tenantId } = await emulate({ outcome: 'completes-without-fix' });
    const [, done] = await runChild(emulator, 'runbook', [
      { op: 'start', tenantId, incidentId: INCIDENT },
      { op: 'poll', jobName: jobNameFor(tenantId, INCIDENT) },
    ]);
    expect(done.ok).toMatchObject({
      status: 'Completed',
      terminal: true,
      succeeded: false,
      result: { incidentId: INCIDENT, allowedToUseSSPR: false, method: 'Graph' },
    });
    expect((await graphGet(emulator, '/v1.0/policies/authorizationPolicy')).allowedToUseSSPR).toBe(false);
  });

  test('when the identity has no role on the resource group, then start is REMEDIATION.FORBIDDEN naming Automation Job Operator', async () => {
    const { emulator, tenantId } = await emulate();
    const [result] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }], {
      AUTOMATION_RESOURCE_GROUP: 'rg-elsewhere',
    });
    expect(result.error).toMatchObject({ code: 'REMEDIATION.FORBIDDEN', status: 403 });
    expect(result.error!.message).toContain('Automation Job Operator (4fe576fe-1146-4730-92eb-48519fa6bf9f)');
    expect(result.error!.message).toContain('aa-sspr');
    expect(jobPuts(emulator).map((r) => r.status)).toEqual([403]);
  });

  test('when the account does not exist, then start is REMEDIATION.RUNBOOK_FAILED with the status and the settings to check', async () => {
    const { emulator, tenantId } = await emulate();
    const [result] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }], {
      AUTOMATION_ACCOUNT: 'aa-missing',
    });
    expect(result.error).toMatchObject({ code: 'REMEDIATION.RUNBOOK_FAILED', status: 404 });
    expect(result.error!.message).toContain('AUTOMATION_ACCOUNT');
  });

  test('when Resource Manager does not answer the job PUT in time, then the start gives up with a retryable error and the next start finds the one job', async () => {
    // Issue 11, finding 5: ms-rest-js sets no timeout of its own, so a hung PUT held the invocation.
    const { emulator, tenantId } = await emulate({ outcome: 'fixes' }, false, [
      { match: '/jobs/[^/?]+\\?', kind: 'slow', delayMs: 5_000, times: 1 },
    ]);
    const [hung] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }], {
      TEST_ATTEMPT_TIMEOUT_MS: '1000',
    });
    expect(hung.error).toMatchObject({
      code: 'REMEDIATION.RUNBOOK_FAILED',
      message: expect.stringContaining('retry later'),
    });

    // The next scan starts again: the same job name, so whichever PUT lands second is refused and found.
    const [again] = await runChild(emulator, 'runbook', [{ op: 'start', tenantId, incidentId: INCIDENT }]);
    expect(again.ok).toEqual({ method: 'runbook', jobName: jobNameFor(tenantId, INCIDENT) });
    // Exactly one PUT started the job; the abandoned one, if it reached the fake, was never answered.
    const statuses = jobPuts(emulator).map((put) => put.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => status === 0 || status === 201 || status === 409)).toBe(true);
  });

  test('when the app runs in US Gov, then the token is for US Gov Resource Manager and the runbook is asked for the USGov Graph environment', async () => {
    const { emulator, tenantId } = await emulate({ outcome: 'fixes' });
    const [, done] = await runChild(
      emulator,
      'runbook',
      [
        { op: 'start', tenantId, incidentId: INCIDENT },
        { op: 'poll', jobName: jobNameFor(tenantId, INCIDENT) },
      ],
      { AZURE_CLOUD: 'AzureUSGovernment' },
    );
    expect(done.ok).toMatchObject({ status: 'Completed', succeeded: true });
    expect((await armJob(emulator, jobNameFor(tenantId, INCIDENT))).properties.parameters.Environment).toBe(
      'USGov',
    );
    const tokenResources = emulator.requests
      .filter((r) => r.path === '/msi/token')
      .map((r) => r.query.resource);
    expect([...new Set(tokenResources)]).toEqual([
      'https://management.usgovcloudapi.net',
      'https://management.azure.com',
    ]);
  });
});

describe('GraphRemediator against the Graph fake', () => {
  test('when started, then one PATCH switches the policy on and progress is Completed without a job', async () => {
    const { emulator, tenantId } = await emulate();
    const [started, done] = await runChild(emulator, 'graph', [
      { op: 'start', tenantId, incidentId: INCIDENT },
      { op: 'poll', jobName: null },
    ]);
    expect(started.ok).toEqual({ method: 'graph', jobName: null });
    expect(done.ok).toMatchObject({ status: 'Completed', terminal: true, succeeded: true, result: null });
    const patches = emulator.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toEqual([
      expect.objectContaining({ path: '/v1.0/policies/authorizationPolicy', status: 204 }),
    ]);
    expect((await graphGet(emulator, '/v1.0/policies/authorizationPolicy')).allowedToUseSSPR).toBe(true);
  });

  test('when started twice, then both PATCHes succeed and the policy stays on', async () => {
    const { emulator, tenantId } = await emulate();
    const results = await runChild(emulator, 'graph', [
      { op: 'start', tenantId, incidentId: INCIDENT },
      { op: 'start', tenantId, incidentId: INCIDENT },
    ]);
    expect(results.map((r) => r.ok)).toEqual([
      { method: 'graph', jobName: null },
      { method: 'graph', jobName: null },
    ]);
    expect((await graphGet(emulator, '/v1.0/policies/authorizationPolicy')).allowedToUseSSPR).toBe(true);
  });

  test('when the app lacks the permission, then it is REMEDIATION.FORBIDDEN naming Policy.ReadWrite.Authorization', async () => {
    const { emulator, tenantId } = await emulate({}, 'forbidden');
    const [result] = await runChild(emulator, 'graph', [{ op: 'start', tenantId, incidentId: INCIDENT }]);
    expect(result.error).toMatchObject({ code: 'REMEDIATION.FORBIDDEN', status: 403 });
    expect(result.error!.message).toContain('Policy.ReadWrite.Authorization');
  });

  test('when Graph answers 500, then it is REMEDIATION.GRAPH_FAILED with the missing-property hint', async () => {
    const { emulator, tenantId } = await emulate({}, 'error');
    const [result] = await runChild(emulator, 'graph', [{ op: 'start', tenantId, incidentId: INCIDENT }]);
    expect(result.error).toMatchObject({ code: 'REMEDIATION.GRAPH_FAILED', status: 500 });
    expect(result.error!.message).toContain('no allowedToUseSSPR property');
  });
});
