import { randomUUID } from 'node:crypto';
import type { RunningEmulator } from '../../emulator';
import { http, useFunctionsWorkers } from '../functions/bundleChild';
import { useEmulatedWorld } from '../helpers/emulatedWorld';
import { functionsEnv } from '../helpers/scanQueue';

/**
 * Issue 15: only a caller Entra ID vouches for, holding the Tenants.Manage app role, can add, change
 * or remove a tenant, or check one, and the registry records that caller, never a body field. Through
 * the Functions bundle, against the emulator (its sign-in keys sign the tokens) and a real Azurite.
 */
const world = useEmulatedWorld();
const functionsWorker = useFunctionsWorkers();
const AUDIENCE = '5e1f3c2a-0000-4000-8000-00000000a9e4';
const MANAGER_OID = '0b5e9e4c-0000-4000-8000-0000000000c3';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function tenantsApi(emulator: RunningEmulator, tenantId: string) {
  const env = functionsEnv(emulator, world.azurite.connectionString, tenantId, {
    API_AUDIENCE: AUDIENCE,
    API_AUTHORITY_HOST: emulator.loginUrl,
    // Routing is checked against the ticket system (report mode needs none of its other settings).
    TICKET_SYSTEM: 'webhook',
  });
  const worker = await functionsWorker(env);
  const token = (roles: string[], extra: Record<string, unknown> = {}) =>
    emulator.signApiToken({
      audience: AUDIENCE,
      roles,
      oid: MANAGER_OID,
      preferredUsername: 'ops.lead@contoso.com',
      ...extra,
    });
  const put = (id: string, headers: Record<string, string>, body: unknown) =>
    worker.invoke('changeTenant', http('PUT', `/api/tenants/${id}`, { params: { id }, headers, body }));
  const remove = (id: string, headers: Record<string, string>) =>
    worker.invoke('changeTenant', http('DELETE', `/api/tenants/${id}`, { params: { id }, headers }));
  const list = async () =>
    (
      await worker.invoke(
        'listTenants',
        http('GET', '/api/tenants', { headers: bearer(await token(['Incidents.Read'])) }),
      )
    ).response!.json.tenants as Array<{ tenantId: string }>;
  return { worker, token, put, remove, list };
}

describe('the tenant registry over HTTP', () => {
  test('when callers without a valid token and Tenants.Manage, or with a body naming who added it, try to write, then each is refused with problem+json and nothing is written', async () => {
    const { emulator, tenantId } = await world.emulate('policy-on');
    const { token, put, remove, list } = await tenantsApi(emulator, tenantId);
    const other = randomUUID();
    const manager = await token(['Tenants.Manage']);
    const attempts: Array<[string, () => ReturnType<typeof put>, number, string]> = [
      [
        'a function key and a forged App Service principal header',
        () => put(other, { 'x-ms-client-principal-name': 'ciso@contoso.com' }, { name: 'x' }),
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a body naming who added it, without a token',
        () => put(other, {}, { addedBy: 'ciso@contoso.com' }),
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a token signed by another key',
        async () => put(other, bearer(await token(['Tenants.Manage'], { forged: true })), {}),
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a token for another API',
        async () => put(other, bearer(await token(['Tenants.Manage'], { audience: randomUUID() })), {}),
        401,
        'AUTH.UNAUTHENTICATED',
      ],
      [
        'a valid token without the role',
        async () => put(other, bearer(await token(['Incidents.Read', 'Scans.Run', 'Incidents.Approve'])), {}),
        403,
        'AUTH.FORBIDDEN',
      ],
      [
        'a valid token and a body naming who added it',
        () => put(other, bearer(manager), { name: 'Contoso', addedBy: 'ciso@contoso.com' }),
        400,
        'HTTP.INVALID_REQUEST',
      ],
      [
        'a webhook URL that is not a Key Vault reference',
        () =>
          put(other, bearer(manager), {
            routing: { webhookUrlSecret: 'https://hooks.example.com/sspr?sig=abc' },
          }),
        400,
        'REGISTRY.INVALID',
      ],
      [
        'an unknown field',
        () => put(other, bearer(manager), { name: 'Contoso', secret: 'x' }),
        400,
        'HTTP.INVALID_REQUEST',
      ],
      [
        'a removal without the role',
        async () => remove(tenantId, bearer(await token(['Incidents.Read']))),
        403,
        'AUTH.FORBIDDEN',
      ],
    ];
    for (const [what, attempt, status, code] of attempts) {
      const answer = await attempt();
      expect({
        what,
        status: answer.response!.status,
        code: answer.response!.json?.code,
        type: answer.response!.headers['content-type'],
      }).toEqual({ what, status, code, type: 'application/problem+json' });
    }
    const registered = (await list()).map((tenant) => tenant.tenantId);
    expect(registered).toContain(tenantId);
    expect(registered).not.toContain(other);
    // The webhook refusal says where a secret belongs and never echoes it.
    const refused = await put(other, bearer(manager), {
      routing: { webhookUrlSecret: 'https://hooks.example.com/sspr?sig=abc' },
    });
    expect(refused.response!.json.detail).toContain('Key Vault');
    expect(refused.response!.json.detail).not.toContain('sig=abc');
  });

  test('when a Tenants.Manage caller adds, changes and removes a tenant, then the registry records that caller and refuses to remove one TENANTS lists', async () => {
    const { emulator, tenantId } = await world.emulate('policy-on');
    const { token, put, remove, list } = await tenantsApi(emulator, tenantId);
    const manager = bearer(await token(['Tenants.Manage']));
    const other = randomUUID();

    const added = await put(other, manager, {
      name: 'Fabrikam',
      modeCap: 'report',
    });
    // This deployment files no tickets (report mode): routing for a ticket system it lacks is refused.
    const routed = await put(other, manager, { routing: { project: 'IAM' } });
    const disabled = await put(other, manager, { enabled: false });
    const refused = await remove(tenantId, manager);

    expect(added.response!.status).toBe(200);
    expect(disabled.response!.json).toMatchObject({
      tenantId: other,
      name: 'Fabrikam',
      enabled: false,
      modeCap: 'report',
      addedBy: `ops.lead@contoso.com (${MANAGER_OID})`,
    });
    expect(routed.response).toMatchObject({ status: 400, json: { code: 'REGISTRY.INVALID' } });
    expect(routed.response!.json.detail).toContain(
      'routing.project applies to azuredevops, jira, github only',
    );
    expect(disabled.response!.json.routing).toBeUndefined();
    expect(refused.response).toMatchObject({ status: 409, json: { code: 'REGISTRY.IN_TENANTS' } });
    expect(refused.response!.json.detail).toContain('TENANTS');
    // The registry is shared with the file's other tests (one Azurite): look at this test's tenants only.
    const ids = async () =>
      (await list()).map((tenant) => tenant.tenantId).filter((id) => [tenantId, other].includes(id));
    expect((await ids()).sort()).toEqual([tenantId, other].sort());
    expect((await remove(other, manager)).response!.status).toBe(204);
    expect(await ids()).toEqual([tenantId]);
  });

  test('when a Tenants.Manage caller checks a tenant, then each read the scan needs is reported; a reader cannot check', async () => {
    const { emulator, tenantId } = await world.emulate('policy-on');
    const { worker, token } = await tenantsApi(emulator, tenantId);
    const check = async (roles: string[]) =>
      worker.invoke(
        'checkTenant',
        http('GET', `/api/tenants/${tenantId}/check`, {
          params: { id: tenantId },
          headers: bearer(await token(roles)),
        }),
      );

    expect((await check(['Incidents.Read'])).response).toMatchObject({
      status: 403,
      json: { code: 'AUTH.FORBIDDEN' },
    });
    const answer = await check(['Tenants.Manage']);
    expect(answer.response).toMatchObject({
      status: 200,
      json: { tenantId, ok: true, token: { ok: true }, missingPermissions: [] },
    });
    expect(answer.response!.json.reads).toHaveLength(8);
  });
});
