import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { loadScenario, startEmulator, type RunningEmulator } from '../../../emulator';

/** The Resource Manager fake on the wire: what ARM and Automation answer, as clients see it over TLS. */
const JOB = '0b9a4c8e-6f1d-5a2b-8c3e-7d4f5a6b7c8d';
const ACCOUNT_PATH =
  '/subscriptions/00000000-0000-4000-8000-00000000a001/resourceGroups/rg-sspr/providers/Microsoft.Automation/automationAccounts/aa-sspr';
const API = 'api-version=2017-05-15-preview';

let emulator: RunningEmulator;
let token: string;
let tenantId: string;

beforeEach(async () => {
  const base = loadScenario('admin-policy-off');
  tenantId = base.tenantId;
  emulator = await startEmulator({
    scenario: { ...base, automation: { ...base.automation, runForMs: 300 } },
  });
  token = (
    await call(
      `${emulator.tokenEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com')}`,
      { headers: { 'x-identity-header': emulator.identityHeader } },
    )
  ).json.access_token;
});
afterEach(async () => {
  await emulator.stop();
});

interface Answer {
  status: number;
  type: string;
  text: string;
  json: any;
}

function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = { ...options.headers, ...(payload ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const ca = url.startsWith('https:') ? fs.readFileSync(emulator.caCertPath) : undefined;
    const request = client.request(
      url,
      { method: options.method ?? 'GET', headers, ca, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            status: response.statusCode ?? 0,
            type: String(response.headers['content-type'] ?? ''),
            text,
            json,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const arm = (path: string, options: { method?: string; body?: unknown; auth?: boolean } = {}) =>
  call(`${emulator.armUrl}${path}`, {
    ...options,
    headers: options.auth === false ? {} : { authorization: `Bearer ${token}` },
  });

const jobBody = (parameters: Record<string, string>, runbook = 'Enable-AdminSspr') => ({
  properties: { runbook: { name: runbook }, parameters },
});
const goodParameters = () => ({
  TenantId: tenantId,
  IncidentId: 'incident-1',
  Method: 'Graph',
  Environment: 'Global',
});

async function untilTerminal(path: string): Promise<{ job: any; seen: string[] }> {
  const seen: string[] = [];
  for (;;) {
    const job = (await arm(`${path}?${API}`)).json;
    const status = job.properties.status;
    if (seen[seen.length - 1] !== status) seen.push(status);
    if (['Completed', 'Failed', 'Stopped', 'Suspended'].includes(status)) return { job, seen };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Resource Manager fake', () => {
  test('when the token is missing or not one the token endpoint issued, then it is 401 in the ARM envelope', async () => {
    const missing = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ error: { code: 'AuthenticationFailed', message: expect.any(String) } });
    const forged = await call(`${emulator.armUrl}${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      headers: { authorization: 'Bearer made-up' },
    });
    expect(forged.json.error.code).toBe('InvalidAuthenticationToken');
  });

  test('when api-version is missing, then it is 400 MissingApiVersionParameter', async () => {
    const answer = await arm(`${ACCOUNT_PATH}/jobs/${JOB}`, {
      method: 'PUT',
      body: jobBody(goodParameters()),
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('MissingApiVersionParameter');
  });

  test("when a job is created, then it is 201 New, a second PUT is 409 in Automation's flat body, and the job runs to Completed", async () => {
    const created = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody(goodParameters()),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: `${ACCOUNT_PATH}/jobs/${JOB}`,
      name: JOB,
      type: 'Microsoft.Automation/AutomationAccounts/Jobs',
      properties: {
        status: 'New',
        runbook: { name: 'Enable-AdminSspr' },
        parameters: goodParameters(),
        provisioningState: 'Processing',
        endTime: null,
      },
    });

    const again = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody(goodParameters()),
    });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      code: 'Conflict',
      message: `Job with specified id already exists. Job id: ${JOB}`,
    });

    // Names are case-insensitive in ARM, so the SDK's casing and ours reach the same job.
    const lowerCase = await arm(`${ACCOUNT_PATH.toLowerCase()}/jobs/${JOB}?${API}`);
    expect(lowerCase.json.name).toBe(JOB);

    const { job, seen } = await untilTerminal(`${ACCOUNT_PATH}/jobs/${JOB}`);
    expect(seen[seen.length - 1]).toBe('Completed');
    expect(job.properties).toMatchObject({ provisioningState: 'Succeeded', exception: null });
    expect(job.properties.endTime).toEqual(expect.any(String));

    const output = await arm(`${ACCOUNT_PATH}/jobs/${JOB}/output?${API}`);
    expect(output.type).toMatch(/^text\/plain/);
    const lines = output.text.split('\r\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    expect(JSON.parse(lines[lines.length - 1])).toEqual({
      incidentId: 'incident-1',
      allowedToUseSSPR: true,
      method: 'Graph',
    });
  });

  test('when the runbook or the account is unknown, then it is 404 ResourceNotFound and no job exists', async () => {
    const runbook = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody(goodParameters(), 'Other-Runbook'),
    });
    expect(runbook.status).toBe(404);
    expect(runbook.json.error.code).toBe('ResourceNotFound');
    const account = await arm(`${ACCOUNT_PATH.replace('aa-sspr', 'aa-other')}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody(goodParameters()),
    });
    expect(account.status).toBe(404);
    expect(account.json.error.code).toBe('ResourceNotFound');
    expect((await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`)).status).toBe(404);
  });

  test('when a parameter is unknown or a mandatory one is missing, then the job is refused with 400', async () => {
    const unknown = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody({ ...goodParameters(), Force: 'true' }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain("'Force'");
    const { IncidentId: _omitted, ...withoutIncident } = goodParameters();
    const missing = await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody(withoutIncident),
    });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toContain("'IncidentId'");
  });

  test("when Environment is outside the runbook's ValidateSet, then the job fails as PowerShell would", async () => {
    await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody({ ...goodParameters(), Environment: 'AzurePublic' }),
    });
    const { job } = await untilTerminal(`${ACCOUNT_PATH}/jobs/${JOB}`);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.exception).toContain('ValidateSet');
  });

  test('when the job is for another tenant, then the runbook refuses and the policy stays off', async () => {
    await arm(`${ACCOUNT_PATH}/jobs/${JOB}?${API}`, {
      method: 'PUT',
      body: jobBody({ ...goodParameters(), TenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }),
    });
    const { job } = await untilTerminal(`${ACCOUNT_PATH}/jobs/${JOB}`);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.exception).toContain('not 72f988bf-86f1-41af-91ab-2d7cd011db47');
    const graphToken = (
      await call(
        `${emulator.tokenEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://graph.microsoft.com')}`,
        { headers: { 'x-identity-header': emulator.identityHeader } },
      )
    ).json.access_token;
    const policy = await call(`${emulator.graphUrl}/v1.0/policies/authorizationPolicy`, {
      headers: { authorization: `Bearer ${graphToken}` },
    });
    expect(policy.json.allowedToUseSSPR).toBe(false);
  });
});
