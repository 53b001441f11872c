import { AppError } from '../../src/errors';
import type { TenantAccessProbe } from '../../src/usecases/ports/graph';
import type { RegisteredTenant, TenantChanges, TenantRegistry } from '../../src/usecases/ports/tenants';
import {
  checkTenant,
  putTenant,
  removeTenant,
  seedRegistry,
  tenantChanges,
} from '../../src/usecases/tenantRegistry';

/** The registry's rules, on an in-memory registry: what TENANTS seeds, what an operator may set. */
const A = '11111111-0000-4000-8000-00000000000a';
const B = '11111111-0000-4000-8000-00000000000b';

class MemoryRegistry implements TenantRegistry {
  readonly durable = true;
  readonly rows = new Map<string, RegisteredTenant>();
  async list() {
    return [...this.rows.values()];
  }
  async get(tenantId: string) {
    return this.rows.get(tenantId);
  }
  async put(tenantId: string, changes: TenantChanges, addedBy: string) {
    const row = {
      ...(this.rows.get(tenantId) ?? { tenantId, enabled: true, addedBy, addedAt: 'now' }),
      ...changes,
    };
    this.rows.set(tenantId, row);
    return row;
  }
  async remove(tenantId: string) {
    return this.rows.delete(tenantId);
  }
  async recordScan() {}
}

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (err) {
    return { code: (err as AppError).code, message: (err as AppError).message };
  }
  return undefined;
};

describe('seedRegistry', () => {
  test('when TENANTS lists a tenant the operator disabled, then seeding adds only the missing ones and leaves it disabled', async () => {
    const registry = new MemoryRegistry();
    await registry.put(A, { enabled: false, modeCap: 'report' }, 'ops');

    const added = await seedRegistry(registry, [A, B]);

    expect(added).toEqual([B]);
    expect(registry.rows.get(A)).toMatchObject({ enabled: false, modeCap: 'report', addedBy: 'ops' });
    expect(registry.rows.get(B)).toMatchObject({ enabled: true, addedBy: 'TENANTS' });
  });
});

describe('tenantChanges', () => {
  const webhook = { actionMode: 'ticket', ticketSystem: 'webhook' } as const;

  test('when the webhook URL secret is the name of a secret in the deployment’s Key Vault, then it is kept', () => {
    expect(tenantChanges(A, { routing: { webhookUrlSecret: 'contoso-webhook' } }, webhook).routing).toEqual({
      webhookUrlSecret: 'contoso-webhook',
    });
  });

  test.each([
    'https://hooks.example.com/sspr?token=abc',
    // A URI, even Key Vault's, could name a vault (or a host) of the caller's choosing.
    'https://kv-sspr.vault.azure.net/secrets/webhook',
    'kv-sspr/webhook',
  ])(
    'when the webhook URL secret is %s, then it is refused: only a secret name in the deployment’s Key Vault',
    (uri) => {
      const refused = codeOf(() => tenantChanges(A, { routing: { webhookUrlSecret: uri } }, webhook));
      expect(refused?.code).toBe('REGISTRY.INVALID');
      expect(refused?.message).toContain('Key Vault');
      expect(refused?.message).not.toContain(uri);
    },
  );

  test('when a routing field does not apply to TICKET_SYSTEM, then it is refused with the fields that do', () => {
    const refused = codeOf(() =>
      tenantChanges(
        A,
        { routing: { assignmentGroup: 'Identity' } },
        { actionMode: 'ticket', ticketSystem: 'jira' },
      ),
    );
    expect(refused?.message).toContain('routing.assignmentGroup applies to servicenow only');
  });

  test('when the mode cap is riskier than ACTION_MODE, then it is refused; as safe or safer, it is kept', () => {
    expect(codeOf(() => tenantChanges(A, { modeCap: 'remediate' }, { actionMode: 'approve' }))?.code).toBe(
      'REGISTRY.INVALID',
    );
    expect(codeOf(() => tenantChanges(A, { modeCap: 'everything' }, { actionMode: 'remediate' }))?.code).toBe(
      'REGISTRY.INVALID',
    );
    expect(tenantChanges(A, { modeCap: 'approve' }, { actionMode: 'remediate' })).toEqual({
      modeCap: 'approve',
    });
    expect(tenantChanges(A, { modeCap: 'ticket' }, { actionMode: 'ticket' })).toEqual({ modeCap: 'ticket' });
  });

  test('when a name or routing text holds a control or invisible character, or is blank, then every problem is named at once', () => {
    const refused = codeOf(() =>
      tenantChanges(
        'contoso',
        { name: 'Con\u200Btoso', routing: { assignmentGroup: 'a\nb' } },
        { actionMode: 'ticket', ticketSystem: 'servicenow' },
      ),
    );
    expect(refused?.code).toBe('REGISTRY.INVALID');
    for (const part of [
      'not a tenant id',
      'name must not contain',
      'routing.assignmentGroup contains control or invisible characters',
    ])
      expect(refused?.message).toContain(part);
  });
});

describe('putTenant and removeTenant', () => {
  test('when a tenant TENANTS lists is removed, then it is refused with the fix; an unknown one is named', async () => {
    const registry = new MemoryRegistry();
    await putTenant(registry, { actionMode: 'report' }, A.toUpperCase(), { name: 'Contoso' }, 'ops');

    await expect(removeTenant(registry, [A], A)).rejects.toMatchObject({
      code: 'REGISTRY.IN_TENANTS',
      message: expect.stringContaining('Remove it from TENANTS first'),
    });
    await expect(removeTenant(registry, [], B)).rejects.toMatchObject({ code: 'REGISTRY.UNKNOWN_TENANT' });
    await removeTenant(registry, [], A);
    expect(registry.rows.size).toBe(0);
  });
});

describe('checkTenant', () => {
  const probe = (outcome: 'ok' | 'missing-permission'): TenantAccessProbe => ({
    tryReads: async () => ({
      token: { ok: true },
      reads: [
        {
          read: 'audit log',
          request: 'GET /auditLogs/directoryAudits?$top=1',
          permission: 'AuditLog.Read.All',
          outcome,
        },
        { read: 'SSPR registration', request: 'GET /reports/…', permission: 'AuditLog.Read.All', outcome },
        { read: 'users', request: 'GET /users/…', permission: 'User.Read.All', outcome: 'ok' },
      ],
    }),
  });

  test('when reads are refused, then each missing permission is named once, with the admin-consent URL of the fleet app', async () => {
    const check = await checkTenant(probe('missing-permission'), {
      tenantId: A,
      authorityHost: 'https://login.microsoftonline.us/',
      fleetClientId: '22222222-0000-4000-8000-000000000001',
    });
    expect(check).toMatchObject({
      ok: false,
      missingPermissions: ['AuditLog.Read.All'],
      adminConsentUrl: `https://login.microsoftonline.us/${A}/adminconsent?client_id=22222222-0000-4000-8000-000000000001`,
    });
  });

  test('when every read works and no fleet client id is known, then it is ok and no consent URL is given', async () => {
    const check = await checkTenant(probe('ok'), {
      tenantId: A,
      authorityHost: 'https://login.microsoftonline.com',
    });
    expect(check.ok).toBe(true);
    expect(check).not.toHaveProperty('adminConsentUrl');
  });
});
