import { randomUUID } from 'node:crypto';
import type { RunningEmulator } from '../../emulator';
import { emulatorActionEnv } from '../../src/local/emulatorEnv';
import { http, invokeBundle, useFunctionsWorkers } from '../functions/bundleChild';
import { useEmulatedWorld } from '../helpers/emulatedWorld';
import { functionsEnv, takeMessages } from '../helpers/scanQueue';

/**
 * Issue 11, finding 1: only a caller Entra ID vouches for, holding the Incidents.Approve app role, can
 * approve a fix, under its own name; a function key, a header or a body field names nobody. Through the
 * Functions bundle, against the emulator (its sign-in keys sign the tokens) and a real Azurite. Each
 * test's calls go to one warm worker process, as the host sends them to a running worker.
 */
const world = useEmulatedWorld();
const functionsWorker = useFunctionsWorkers();
const AUDIENCE = '5e1f3c2a-0000-4000-8000-00000000a9e2';

function appEnv(emulator: RunningEmulator, tenantId: string, extra: Record<string, string> = {}) {
  return functionsEnv(emulator, world.azurite.connectionString, tenantId, {
    ACTION_MODE: 'approve',
    API_AUDIENCE: AUDIENCE,
    API_AUTHORITY_HOST: emulator.loginUrl,
    ...emulatorActionEnv(emulator, 'webhook'),
    ...extra,
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A scan in approve mode: one ticketed incident waiting for its approval. */
async function ticketedIncident(scenario: string, extra: Record<string, string> = {}) {
  const { emulator, tenantId } = await world.emulate(scenario);
  const env = appEnv(emulator, tenantId, extra);
  const worker = await functionsWorker(env);
  const reader = bearer(
    await emulator.signApiToken({
      audience: AUDIENCE,
      roles: ['Incidents.Read'],
      preferredUsername: 'reader@contoso.com',
    }),
  );
  await worker.invoke(
    'startScan',
    http('POST', '/api/scans', {
      body: { tenantId },
      headers: bearer(await emulator.signApiToken({ audience: AUDIENCE, roles: ['Scans.Run'] })),
    }),
  );
  const [queued] = await takeMessages(world.azurite.connectionString, tenantId);
  expect(
    (await worker.invoke('tenantScan', { kind: 'queue', message: queued.message, dequeueCount: 1 })).error,
  ).toBeUndefined();
  const listed = await worker.invoke(
    'listIncidents',
    http('GET', '/api/incidents', { query: { tenantId, state: 'ticketed' }, headers: reader }),
  );
  const [incident] = listed.response!.json.incidents;
  expect(incident).toMatchObject({ state: 'ticketed', approval: null });
  const approveCall = (headers: Record<string, string>, body?: unknown) =>
    http('POST', `/api/incidents/${incident.id}/approve`, { params: { id: incident.id }, headers, body });
  const approve = (headers: Record<string, string>, body?: unknown) =>
    worker.invoke('approveIncident', approveCall(headers, body));
  /** The same call to a worker started with other settings. */
  const approveWith = (otherEnv: NodeJS.ProcessEnv, headers: Record<string, string>) =>
    invokeBundle('approveIncident', approveCall(headers), otherEnv);
  const current = async () =>
    (
      await worker.invoke(
        'getIncident',
        http('GET', `/api/incidents/${incident.id}`, { params: { id: incident.id }, headers: reader }),
      )
    ).response!.json;
  const jobsStarted = () =>
    emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201)
      .length;
  return { emulator, tenantId, env, worker, incident, approve, approveWith, current, jobsStarted };
}

describe('approving a fix over HTTP', () => {
  test('when callers without a valid token and role try, then each is refused with problem+json and nothing is approved', async () => {
    const { emulator, tenantId, env, approve, approveWith, current, jobsStarted } =
      await ticketedIncident('admin-policy-off');
    const approver = {
      audience: AUDIENCE,
      roles: ['Incidents.Approve'],
      preferredUsername: 'ops.lead@contoso.com',
    };
    const attempts: Array<[string, Record<string, string>, unknown, number, string]> = [
      [
        'a forged App Service principal header',
        { 'x-ms-client-principal-name': 'ciso@contoso.com', 'x-ms-client-principal-id': randomUUID() },
        undefined,
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      ['a body naming the approver', {}, { by: 'ciso@contoso.com' }, 401, 'AUTH.UNAUTHENTICATED'],
      [
        'a token signed by another key',
        bearer(await emulator.signApiToken({ ...approver, forged: true })),
        undefined,
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a token for another API',
        bearer(await emulator.signApiToken({ ...approver, audience: randomUUID() })),
        undefined,
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a token from another tenant',
        bearer(await emulator.signApiToken({ ...approver, tenantId: randomUUID() })),
        undefined,
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'an expired token',
        bearer(await emulator.signApiToken({ ...approver, expiresInSeconds: -3600 })),
        undefined,
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a valid token without the role',
        bearer(await emulator.signApiToken({ ...approver, roles: ['Incidents.Read'] })),
        undefined,
        403,
        'AUTH.FORBIDDEN',
      ],
      [
        'a valid token and a body naming someone else',
        bearer(await emulator.signApiToken(approver)),
        { by: 'ciso@contoso.com' },
        400,
        'HTTP.INVALID_REQUEST',
      ],
    ];
    for (const [what, headers, body, status, code] of attempts) {
      const answer = await approve(headers, body);
      expect({
        what,
        status: answer.response!.status,
        code: answer.response!.json?.code,
        type: answer.response!.headers['content-type'],
      }).toEqual({
        what,
        status,
        code,
        type: 'application/problem+json',
      });
      if (status === 401) expect(answer.response!.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(await current()).toMatchObject({ state: 'ticketed', approval: null });
    expect(jobsStarted()).toBe(0);

    // Without an app registration for the API, approvals over HTTP are off, whatever the caller sends.
    const { API_AUDIENCE: _audience, API_AUTHORITY_HOST: _host, ...withoutApi } = env;
    const off = await approveWith(withoutApi, bearer(await emulator.signApiToken(approver)));
    expect(off.response).toMatchObject({ status: 503, json: { code: 'AUTH.NOT_CONFIGURED' } });
    expect(await current()).toMatchObject({ tenantId, state: 'ticketed', approval: null });
  });

  test('when the API has an app registration, then scans need Scans.Run and reads Incidents.Read, and the scan records who asked', async () => {
    const { emulator, tenantId, worker } = await ticketedIncident('admin-policy-off');
    const token = (roles: string[]) =>
      emulator.signApiToken({
        audience: AUDIENCE,
        roles,
        oid: '0b5e9e4c-0000-4000-8000-0000000000b2',
        preferredUsername: 'scanner@contoso.com',
      });
    const ask = async (headers: Record<string, string>) =>
      worker.invoke('startScan', http('POST', '/api/scans', { body: { tenantId, mode: 'report' }, headers }));
    const list = async (headers: Record<string, string>) =>
      // This test's tenant: the file's other tests register theirs in the same storage.
      worker.invoke('listIncidents', http('GET', '/api/incidents', { headers, query: { tenantId } }));

    expect((await ask({ 'x-ms-client-principal-name': 'ops@contoso.com' })).response).toMatchObject({
      status: 401,
      json: { code: 'AUTH.UNAUTHENTICATED' },
    });
    expect((await ask(bearer(await token(['Incidents.Read'])))).response).toMatchObject({
      status: 403,
      json: { code: 'AUTH.FORBIDDEN' },
    });
    const asked = await ask(bearer(await token(['Scans.Run'])));
    expect(asked.response!.status).toBe(202);
    const scanId = asked.response!.json.scanId;
    const status = await worker.invoke(
      'scanStatus',
      http('GET', `/api/scans/${scanId}`, {
        params: { id: scanId },
        headers: bearer(await token(['Incidents.Read'])),
      }),
    );
    expect(status.response!.json).toMatchObject({
      status: 'queued',
      principal: 'scanner@contoso.com (0b5e9e4c-0000-4000-8000-0000000000b2)',
    });

    expect((await list({})).response).toMatchObject({ status: 401 });
    expect((await list(bearer(await token(['Scans.Run'])))).response).toMatchObject({ status: 403 });
    expect((await list(bearer(await token(['Incidents.Read'])))).response).toMatchObject({
      status: 200,
      json: { incidents: [expect.objectContaining({ tenantId })] },
    });
  });

  test('when admin SSPR was switched off on purpose, then an approval must say it overrides that, and the ticket says so', async () => {
    const { emulator, approve, current, jobsStarted } = await ticketedIncident('hardened-tenant');
    const token = await emulator.signApiToken({
      audience: AUDIENCE,
      roles: ['Incidents.Approve'],
      preferredUsername: 'ops.lead@contoso.com',
    });

    const held = await approve(bearer(token));
    expect(held.response).toMatchObject({ status: 409, json: { code: 'INCIDENT.HARDENING_HOLD' } });
    expect(held.response!.json.detail).toContain('baseline.admin@woodgrove.com');
    expect(jobsStarted()).toBe(0);

    const overridden = await approve(bearer(token), { overrideHardening: true });
    expect(overridden.response!.status).toBe(200);
    expect(overridden.response!.json).toMatchObject({
      approval: { by: expect.stringContaining('ops.lead@contoso.com'), overrideHardening: true },
    });
    expect(jobsStarted()).toBe(1);
    const told = emulator.tickets.webhook.deliveries
      .map((delivery) => JSON.stringify(delivery.body))
      .join('\n');
    expect(told).toContain('overrides the decision of baseline.admin@woodgrove.com');
    expect((await current()).approval.overrideHardening).toBe(true);
  });
});
