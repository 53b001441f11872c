import './quietTestMode';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { resetServices } from '../../src/composition';
import { approveIncident } from '../../src/functions/approveIncident';
import { getIncident } from '../../src/functions/getIncident';
import { health } from '../../src/functions/health';
import { listIncidents } from '../../src/functions/listIncidents';
import { scanStatus } from '../../src/functions/scanStatus';
import { startScan } from '../../src/functions/startScan';
import { unmatchedRoute } from '../../src/functions/unmatchedRoute';
import { listTenants } from '../../src/functions/listTenants';
import { changeTenant } from '../../src/functions/changeTenant';
import { checkTenant } from '../../src/functions/checkTenant';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';

/**
 * The HTTP triggers in this process, called as the host calls them (real HttpRequest and
 * InvocationContext), against a real Azurite. Nothing here reaches Graph: every request is refused
 * before a scan would start, or only queues one. Scans themselves run in test/functions/scan.test.ts.
 */
const TENANT_A = '6a1b2c3d-0000-4000-8000-00000000000a';
const TENANT_B = '6a1b2c3d-0000-4000-8000-00000000000b';
const OTHER = '6a1b2c3d-0000-4000-8000-0000000000ff';
let azurite: RunningAzurite;
const saved = { ...process.env };

function useEnv(extra: Record<string, string> = {}) {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved, {
    AzureWebJobsStorage: azurite.connectionString,
    STATE_STORAGE: azurite.connectionString,
    TENANTS: `${TENANT_A},${TENANT_B}`,
    SCAN_SCHEDULE: '0 */15 * * * *',
    ACTION_MODE: 'ticket',
    TICKET_SYSTEM: 'webhook',
    TICKET_WEBHOOK_URL: 'https://tickets.example.invalid/hook',
    ...extra,
  });
  resetServices();
}

beforeAll(async () => {
  azurite = await startAzurite();
  useEnv();
});
afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  resetServices();
  await azurite?.stop();
});

/** An ISO time `hours` ago, on the hour, written with the given offset: always inside the audit retention. */
function recent(hours: number, offset = 'Z'): string {
  const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - hours * 3_600_000);
  if (offset === 'Z') return at.toISOString().replace('.000Z', 'Z');
  return `${new Date(at.getTime() + 3_600_000).toISOString().slice(0, 19)}${offset}`;
}

const context = () => new InvocationContext({ invocationId: 'test-invocation', logHandler: () => undefined });

function request(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; params?: Record<string, string> } = {},
) {
  return new HttpRequest({
    method,
    url: `http://localhost:7071${path}`,
    headers: options.headers ?? {},
    params: options.params ?? {},
    body: options.body === undefined ? undefined : { string: options.body },
  });
}
const post = (
  path: string,
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  params: Record<string, string> = {},
) => request('POST', path, { body, headers, params });

function parsed(response: HttpResponseInit) {
  const headers = new Headers(response.headers as Record<string, string>);
  const body =
    response.jsonBody ?? (typeof response.body === 'string' ? JSON.parse(response.body) : undefined);
  return { status: response.status ?? 200, headers, body };
}

/** A 4xx problem+json with the stable code, and never a storage key in it. */
function expectProblem(response: HttpResponseInit, status: number, code: string) {
  const { headers, body } = parsed(response);
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(headers.get('content-type')).toBe('application/problem+json');
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringContaining(code.toLowerCase()),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  expect(JSON.stringify(body)).not.toContain('AccountKey');
  return body;
}

describe('POST /api/scans', () => {
  test('when the body is valid, then 202 with Location, a queued status row, and one base64 JSON message on sspr-scans', async () => {
    const response = await startScan(
      post(
        '/api/scans',
        JSON.stringify({
          tenantId: TENANT_B.toUpperCase(),
          from: recent(3),
          to: recent(1, '+01:00'),
          mode: 'report',
        }),
      ),
      context(),
    );
    const { status, headers, body } = parsed(response);
    expect(status).toBe(202);
    expect(headers.get('location')).toBe(`/api/scans/${body.scanId}`);
    expect(body).toMatchObject({
      tenantId: TENANT_B,
      status: 'queued',
      location: `/api/scans/${body.scanId}`,
    });

    const row = parsed(
      await scanStatus(
        request('GET', `/api/scans/${body.scanId}`, { params: { id: body.scanId } }),
        context(),
      ),
    );
    expect(row.body).toMatchObject({
      scanId: body.scanId,
      tenantId: TENANT_B,
      status: 'queued',
      requestedBy: 'http',
      mode: 'report',
      attempts: 0,
      result: null,
    });

    const queue = new QueueClient(azurite.connectionString, 'sspr-scans');
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    const messages = receivedMessageItems.map((item) =>
      JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')),
    );
    expect(messages).toContainEqual({
      tenantId: TENANT_B,
      scanId: body.scanId,
      requestedBy: 'http',
      mode: 'report',
      from: recent(3),
      to: recent(1, '+01:00'),
    });
    await Promise.all(
      receivedMessageItems.map((item) => queue.deleteMessage(item.messageId, item.popReceipt)),
    );
  });

  const tenant = { tenantId: TENANT_A };
  test.each([
    ['bad JSON', 400, 'HTTP.BAD_JSON', '{"tenantId": '],
    ['a JSON array', 400, 'HTTP.INVALID_REQUEST', '[]'],
    ['a JSON string', 400, 'HTTP.INVALID_REQUEST', '"scan"'],
    ['JSON null', 400, 'HTTP.INVALID_REQUEST', 'null'],
    ['a number as tenantId', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ tenantId: 42 })],
    [
      'a tenantId that is no GUID',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ tenantId: 'contoso.onmicrosoft.com' }),
    ],
    ['a boolean as from', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, from: true })],
    ['an unknown mode', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, mode: 'destroy' })],
    [
      'a mode of the wrong type',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ ...tenant, mode: ['report'] }),
    ],
    ['30 February', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, from: '2026-02-30T00:00:00Z' })],
    ['words for a date', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, from: 'yesterday' })],
    [
      'a time without a zone',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ ...tenant, to: '2026-11-25T08:00:00' }),
    ],
    ['hour 25', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, to: '2026-11-25T25:00:00Z' })],
    [
      'from after to',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ ...tenant, from: '2026-11-25T08:00:00Z', to: '2026-11-25T07:00:00Z' }),
    ],
    [
      'a window ending in the future',
      400,
      'SCAN.WINDOW_INVALID',
      JSON.stringify({ ...tenant, to: '2999-01-01T00:00:00Z' }),
    ],
    [
      'a window older than the audit retention',
      400,
      'SCAN.WINDOW_INVALID',
      JSON.stringify({ ...tenant, from: '2020-01-01', to: '2020-01-02' }),
    ],
    ['an unknown field', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({ ...tenant, force: true })],
    [
      'a __proto__ field',
      400,
      'HTTP.INVALID_REQUEST',
      '{"tenantId":"' + TENANT_A + '","__proto__":{"mode":"remediate"}}',
    ],
    ['no tenantId while two tenants are served', 400, 'HTTP.INVALID_REQUEST', JSON.stringify({})],
    ['a tenant not in TENANTS', 422, 'SCAN.UNKNOWN_TENANT', JSON.stringify({ tenantId: OTHER })],
    [
      'a mode above ACTION_MODE',
      403,
      'SCAN.MODE_NOT_ALLOWED',
      JSON.stringify({ ...tenant, mode: 'remediate' }),
    ],
    ['approve above ticket', 403, 'SCAN.MODE_NOT_ALLOWED', JSON.stringify({ ...tenant, mode: 'approve' })],
    ['empty (read as {}: no tenantId while two tenants are served)', 400, 'HTTP.INVALID_REQUEST', ''],
    ['only whitespace (read as {})', 400, 'HTTP.INVALID_REQUEST', ' \n '],
    ['JSON with a trailing comma', 400, 'HTTP.BAD_JSON', `{"tenantId":"${TENANT_A}",}`],
    ['two JSON documents', 400, 'HTTP.BAD_JSON', `{"tenantId":"${TENANT_A}"}{}`],
    [
      'a tenantId with a trailing newline',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ tenantId: `${TENANT_A}\n` }),
    ],
    [
      'a tenantId with an OData quote',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ tenantId: `${TENANT_A}' or true or '` }),
    ],
    [
      'a tenantId of 4,000 characters',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ tenantId: 'a'.repeat(4_000) }),
    ],
    [
      'an array nested 2,000 deep',
      400,
      'HTTP.INVALID_REQUEST',
      `{"tenantId":${'['.repeat(2_000)}${']'.repeat(2_000)}}`,
    ],
    [
      'a constructor field',
      400,
      'HTTP.INVALID_REQUEST',
      `{"tenantId":"${TENANT_A}","constructor":{"prototype":{}}}`,
    ],
    [
      'a NUL character in the mode',
      400,
      'HTTP.INVALID_REQUEST',
      JSON.stringify({ ...tenant, mode: 'report\u0000' }),
    ],
  ])('when the body is %s, then %i problem+json %s', async (_, status, code, body) => {
    const response = await startScan(post('/api/scans', body), context());
    expectProblem(response, status, code);
  });

  test('when the body is larger than 8 KiB, with or without Content-Length, then 413', async () => {
    const huge = JSON.stringify({ tenantId: TENANT_A, padding: 'x'.repeat(9_000) });
    expectProblem(
      await startScan(
        post('/api/scans', huge, {
          'content-type': 'application/json',
          'content-length': String(huge.length),
        }),
        context(),
      ),
      413,
      'HTTP.PAYLOAD_TOO_LARGE',
    );
    expectProblem(await startScan(post('/api/scans', huge), context()), 413, 'HTTP.PAYLOAD_TOO_LARGE');
    expectProblem(
      await startScan(
        post('/api/scans', '', { 'content-type': 'application/json', 'content-length': '100000000' }),
        context(),
      ),
      413,
      'HTTP.PAYLOAD_TOO_LARGE',
    );
  });

  test('when the body is not sent as JSON, then 415', async () => {
    expectProblem(
      await startScan(
        post('/api/scans', `tenantId=${TENANT_A}`, { 'content-type': 'application/x-www-form-urlencoded' }),
        context(),
      ),
      415,
      'HTTP.UNSUPPORTED_MEDIA_TYPE',
    );
  });

  test('when the mode is safer than ACTION_MODE, or equal, then it is accepted', async () => {
    for (const mode of ['report', 'ticket']) {
      expect(
        (await startScan(post('/api/scans', JSON.stringify({ tenantId: TENANT_A, mode })), context())).status,
      ).toBe(202);
    }
  });
});

describe('GET /api/scans/{id}', () => {
  test('when the id is unknown, then 404 problem+json; when it is no GUID, then 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000123';
    expectProblem(
      await scanStatus(request('GET', `/api/scans/${unknown}`, { params: { id: unknown } }), context()),
      404,
      'SCAN.NOT_FOUND',
    );
    expectProblem(
      await scanStatus(request('GET', '/api/scans/..%2f..', { params: { id: '../..' } }), context()),
      400,
      'HTTP.INVALID_REQUEST',
    );
  });
});

describe('incidents', () => {
  test('when the state filter is valid, then 200 with a list; when it is not, or a parameter is unknown or repeated, then 400', async () => {
    const ok = parsed(await listIncidents(request('GET', '/api/incidents?state=open'), context()));
    expect(ok).toMatchObject({ status: 200, body: { incidents: [] } });
    expectProblem(
      await listIncidents(request('GET', '/api/incidents?state=closed'), context()),
      400,
      'HTTP.INVALID_REQUEST',
    );
    expectProblem(
      await listIncidents(request('GET', '/api/incidents?status=open'), context()),
      400,
      'HTTP.INVALID_REQUEST',
    );
    expectProblem(
      await listIncidents(request('GET', '/api/incidents?state=open&state=failed'), context()),
      400,
      'HTTP.INVALID_REQUEST',
    );
    expectProblem(
      await listIncidents(request('GET', `/api/incidents?tenantId=${OTHER}`), context()),
      422,
      'SCAN.UNKNOWN_TENANT',
    );
  });

  test('when an incident id is unknown, then 404; when it is no GUID, then 400', async () => {
    const unknown = '00000000-0000-5000-8000-000000000456';
    expectProblem(
      await getIncident(request('GET', `/api/incidents/${unknown}`, { params: { id: unknown } }), context()),
      404,
      'INCIDENT.NOT_FOUND',
    );
    expectProblem(
      await getIncident(request('GET', '/api/incidents/x', { params: { id: 'x' } }), context()),
      400,
      'HTTP.INVALID_REQUEST',
    );
  });

  test.each([
    ['no approver at all', '{}', {}],
    ['a body naming the approver', JSON.stringify({ by: 'ops' }), {}],
    [
      'an App Service principal header (forgeable without platform authentication)',
      '{}',
      { 'x-ms-client-principal-name': 'ops@contoso.com' },
    ],
    ['bad JSON', '{by:', {}],
  ])(
    'when API_AUDIENCE is not set and an approval has %s, then 503 AUTH.NOT_CONFIGURED: approvals over HTTP are off',
    async (_, body, headers) => {
      const id = '00000000-0000-5000-8000-000000000789';
      const response = await approveIncident(
        post(
          `/api/incidents/${id}/approve`,
          body,
          { 'content-type': 'application/json', ...headers },
          { id },
        ),
        context(),
      );
      expectProblem(response, 503, 'AUTH.NOT_CONFIGURED');
    },
  );

  test('when API_AUDIENCE is set and no bearer token comes, then 401 with WWW-Authenticate, before the body is read', async () => {
    useEnv({ API_AUDIENCE: '5e1f3c2a-0000-4000-8000-00000000a9e3', API_TENANT_ID: TENANT_A });
    try {
      const id = '00000000-0000-5000-8000-000000000789';
      const response = await approveIncident(
        post(
          `/api/incidents/${id}/approve`,
          '{by:',
          { 'content-type': 'application/json', 'x-ms-client-principal-name': 'ops@contoso.com' },
          { id },
        ),
        context(),
      );
      expectProblem(response, 401, 'AUTH.UNAUTHENTICATED');
      expect(parsed(response).headers.get('www-authenticate')).toMatch(/^Bearer/);
    } finally {
      useEnv();
    }
  });
});

describe('/api/tenants', () => {
  test('when the tenants are listed, then those TENANTS names are registered first, enabled, added by TENANTS', async () => {
    const { status, body } = parsed(await listTenants(request('GET', '/api/tenants'), context()));
    expect(status).toBe(200);
    expect(
      body.tenants
        .filter((tenant: any) => [TENANT_A, TENANT_B].includes(tenant.tenantId))
        .map((tenant: any) => [tenant.tenantId, tenant.enabled, tenant.addedBy]),
    ).toEqual([
      [TENANT_A, true, 'TENANTS'],
      [TENANT_B, true, 'TENANTS'],
    ]);
  });

  test.each([
    ['PUT', JSON.stringify({ name: 'Contoso' })],
    ['PUT', JSON.stringify({ name: 'Contoso', addedBy: 'ciso@contoso.com' })],
    ['DELETE', undefined],
  ])(
    'when API_AUDIENCE is not set and %s comes with a function key only, then 503 AUTH.NOT_CONFIGURED and the registry is unchanged',
    async (method, body) => {
      const response = await changeTenant(
        request(method, `/api/tenants/${OTHER}`, {
          body,
          headers: { 'content-type': 'application/json', 'x-ms-client-principal-name': 'ops@contoso.com' },
          params: { id: OTHER },
        }),
        context(),
      );
      expectProblem(response, 503, 'AUTH.NOT_CONFIGURED');
      const listed = parsed(await listTenants(request('GET', '/api/tenants'), context())).body.tenants;
      expect(listed.map((tenant: any) => tenant.tenantId)).not.toContain(OTHER);
    },
  );

  test('when API_AUDIENCE is set and a write or a check comes without a bearer token, then 401 with WWW-Authenticate', async () => {
    useEnv({ API_AUDIENCE: '5e1f3c2a-0000-4000-8000-00000000a9e3', API_TENANT_ID: TENANT_A });
    try {
      const path = `/api/tenants/${OTHER}`;
      const put = await changeTenant(
        request('PUT', path, { body: '{"name":"x"}', headers: {}, params: { id: OTHER } }),
        context(),
      );
      expectProblem(put, 401, 'AUTH.UNAUTHENTICATED');
      expect(parsed(put).headers.get('www-authenticate')).toMatch(/^Bearer/);
      const check = await checkTenant(request('GET', `${path}/check`, { params: { id: OTHER } }), context());
      expectProblem(check, 401, 'AUTH.UNAUTHENTICATED');
      expectProblem(
        await listTenants(request('GET', '/api/tenants'), context()),
        401,
        'AUTH.UNAUTHENTICATED',
      );
    } finally {
      useEnv();
    }
  });

  test('when the tenant in the path is not a GUID, then 400 before anything else', async () => {
    const response = await changeTenant(
      request('DELETE', '/api/tenants/contoso', { params: { id: 'contoso' } }),
      context(),
    );
    expectProblem(response, 400, 'HTTP.INVALID_REQUEST');
  });
});

describe('routes', () => {
  test('when a path is unknown, then 404 problem+json', async () => {
    expectProblem(await unmatchedRoute(request('GET', '/api/scan'), context()), 404, 'HTTP.NOT_FOUND');
    expectProblem(
      await unmatchedRoute(request('GET', '/api/incidents/a/b/c'), context()),
      404,
      'HTTP.NOT_FOUND',
    );
  });

  test.each([
    ['DELETE', '/api/scans', 'POST'],
    ['GET', '/api/scans', 'POST'],
    ['PUT', '/api/scans/00000000-0000-4000-8000-000000000001', 'GET'],
    ['GET', '/api/incidents/00000000-0000-4000-8000-000000000001/approve', 'POST'],
    ['POST', '/api/health', 'GET'],
    ['POST', '/api/tenants/00000000-0000-4000-8000-000000000001', 'PUT, DELETE'],
    ['PUT', '/api/tenants', 'GET'],
  ])('when %s %s, then 405 with Allow: %s', async (method, path, allow) => {
    const response = await unmatchedRoute(
      request(method, path, { body: method === 'GET' ? undefined : '{}' }),
      context(),
    );
    expectProblem(response, 405, 'HTTP.METHOD_NOT_ALLOWED');
    expect(parsed(response).headers.get('allow')).toBe(allow);
  });

  test('when a known route and method reach the fallback, then it answers 404 and runs no handler (issue 11: it used to dispatch, approve included)', async () => {
    const incident = '00000000-0000-4000-8000-000000000321';
    expectProblem(
      await unmatchedRoute(
        request('POST', `/api/incidents/${incident}/approve`, {
          body: '{"by":"mallory"}',
          headers: { 'content-type': 'application/json' },
        }),
        context(),
      ),
      404,
      'HTTP.NOT_FOUND',
    );
    const before = await new QueueClient(azurite.connectionString, 'sspr-scans')
      .getProperties()
      .then((p) => p.approximateMessagesCount)
      .catch(() => 0);
    expectProblem(
      await unmatchedRoute(
        request('POST', '/API/Scans', {
          body: JSON.stringify({ tenantId: TENANT_A }),
          headers: { 'content-type': 'application/json' },
        }),
        context(),
      ),
      404,
      'HTTP.NOT_FOUND',
    );
    const after = await new QueueClient(azurite.connectionString, 'sspr-scans')
      .getProperties()
      .then((p) => p.approximateMessagesCount)
      .catch(() => 0);
    expect(after).toBe(before);
  });
});

describe('GET /api/health', () => {
  test('when settings and storage are fine, then 200 with every configured tenant and no setting values', async () => {
    const { status, body } = parsed(await health(request('GET', '/api/health'), context()));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      checks: {
        config: { ok: true },
        stateStorage: { ok: true },
        queue: { ok: true, approximateMessages: expect.any(Number) },
      },
      actionMode: 'ticket',
      tenants: [
        expect.objectContaining({ tenantId: TENANT_A }),
        expect.objectContaining({ tenantId: TENANT_B }),
      ],
    });
    expect(JSON.stringify(body)).not.toMatch(/AccountKey|tickets\.example\.invalid|127\.0\.0\.1/);
  });

  test('when settings are wrong, then 503 naming the settings but never their values; other endpoints answer 500 CONFIG.INVALID without values', async () => {
    useEnv({
      TENANTS: 'not-a-tenant',
      ACTION_MODE: 'yolo',
      AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0LWtleQ==;garbage',
    });
    try {
      const { status, body } = parsed(await health(request('GET', '/api/health'), context()));
      expect(status).toBe(503);
      expect(body.checks.config).toEqual({
        ok: false,
        code: 'CONFIG.INVALID',
        settings: expect.arrayContaining(['TENANTS', 'ACTION_MODE']),
      });
      const scan = await startScan(post('/api/scans', JSON.stringify({ tenantId: TENANT_A })), context());
      const problem = expectProblem(scan, 500, 'CONFIG.INVALID');
      for (const text of [JSON.stringify(body), JSON.stringify(problem)])
        expect(text).not.toMatch(/not-a-tenant|yolo|c2VjcmV0|AccountKey/);
    } finally {
      useEnv();
    }
  });

  test('when state storage does not answer, then 503 degraded with the code, within the probe bound', async () => {
    const dead =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1';
    useEnv({ STATE_STORAGE: dead });
    try {
      const { status, body } = parsed(await health(request('GET', '/api/health'), context()));
      expect(status).toBe(503);
      expect(body.checks).toMatchObject({
        config: { ok: true },
        stateStorage: { ok: false, code: expect.any(String) },
        queue: { ok: true },
      });
    } finally {
      useEnv();
    }
  });
});
