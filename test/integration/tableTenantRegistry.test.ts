import { DefaultAzureCredential } from '@azure/identity';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { TableTenantRegistry } from '../../src/adapters/storage/tableTenantRegistry';

/** The tenant registry against a real Azurite: one row per tenant, updates in place, removal sticks. */
let azurite: RunningAzurite;
let tenantSeq = 0;
const newTenant = () => `00000000-0000-4000-8000-${String(++tenantSeq).padStart(12, '0')}`;
// Connection-string auth: the credential is never asked for a token here.
const registry = () => new TableTenantRegistry(azurite.connectionString, new DefaultAzureCredential());
const rowsOf = async (tenantId: string) =>
  (await registry().list()).filter((tenant) => tenant.tenantId === tenantId);

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('TableTenantRegistry', () => {
  test('when a tenant is put, then list shows it with who added it and its settings', async () => {
    const tenant = newTenant();

    await registry().put(
      tenant.toUpperCase(),
      { name: 'Contoso', modeCap: 'ticket', routing: { project: 'IAM' } },
      'alice@contoso.com',
    );

    expect(await rowsOf(tenant)).toEqual([
      {
        tenantId: tenant,
        name: 'Contoso',
        enabled: true,
        modeCap: 'ticket',
        routing: { project: 'IAM' },
        addedBy: 'alice@contoso.com',
        addedAt: expect.any(String),
      },
    ]);
  });

  test('when a registered tenant is put again, then the one row is updated and who added it stays', async () => {
    const tenant = newTenant();
    const first = await registry().put(tenant, { name: 'Fabrikam' }, 'TENANTS');

    const second = await registry().put(tenant, { enabled: false, modeCap: 'report' }, 'bob@contoso.com');

    expect(second).toEqual({ ...first, enabled: false, modeCap: 'report' });
    expect(await rowsOf(tenant)).toEqual([second]);
    expect(await registry().get(tenant)).toEqual(second);
  });

  test('when routing is put again, then the fields given replace theirs, an empty one removes its field, the rest stay', async () => {
    const tenant = newTenant();
    await registry().put(
      tenant,
      { routing: { project: 'IAM', webhookUrlSecret: 'https://kv.vault.azure.net/secrets/hook' } },
      'ops',
    );

    const changed = await registry().put(
      tenant,
      { routing: { assignmentGroup: 'Identity', webhookUrlSecret: '' } },
      'ops',
    );

    expect(changed.routing).toEqual({ project: 'IAM', assignmentGroup: 'Identity' });
    expect((await registry().get(tenant))?.routing).toEqual({ project: 'IAM', assignmentGroup: 'Identity' });
    expect(
      (await registry().put(tenant, { routing: { project: '', assignmentGroup: '' } }, 'ops')).routing,
    ).toBeUndefined();
  });

  test('when a tenant is removed and a scan that was under way records its health, then it stays removed', async () => {
    const tenant = newTenant();
    await registry().put(tenant, {}, 'TENANTS');

    expect(await registry().remove(tenant)).toBe(true);
    await registry().recordScan(tenant, { at: new Date().toISOString(), outcome: 'scanned' });

    expect(await registry().get(tenant)).toBeUndefined();
    expect(await registry().remove(tenant)).toBe(false);
  });

  test('when a scan is recorded for a registered tenant, then its health is kept and nothing else changes', async () => {
    const tenant = newTenant();
    const added = await registry().put(tenant, { name: 'Northwind' }, 'TENANTS');
    const health = {
      at: '2026-11-30T10:00:00.000Z',
      outcome: 'failed' as const,
      code: 'GRAPH.FORBIDDEN',
      message: 'Grant AuditLog.Read.All',
    };

    await registry().recordScan(tenant, health);

    expect(await registry().get(tenant)).toEqual({ ...added, lastScan: health });
  });

  test('when two processes put the same new tenant at once, then there is one row holding both changes', async () => {
    const tenant = newTenant();

    await Promise.all([
      registry().put(tenant, { name: 'Tailspin' }, 'one'),
      registry().put(tenant, { modeCap: 'ticket' }, 'two'),
    ]);

    const rows = await rowsOf(tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'Tailspin', modeCap: 'ticket' });
  });
});
