import type { RunningEmulator } from '../../../emulator';
import { SECRET_MARKER } from '../../../emulator/tokens';
import { emulatorActionEnv, emulatorEnv, type TicketSystem } from '../../../src/local/emulatorEnv';
import { useEmulatedWorld } from '../../helpers/emulatedWorld';
import { runScanInChild } from '../../helpers/runScanInChild';

/**
 * Per-tenant ticket routing (issue 15), end to end: App.scan from the built composition root with a
 * tenant's routing, the emulator's ticket fakes and Key Vault over HTTPS, and a real Azurite. Asserts
 * where the outside world saw each ticket, and that no secret was printed (runScanInChild) or sent in a
 * ticket body (the emulator's stop()).
 */
const world = useEmulatedWorld();

function env(
  emulator: RunningEmulator,
  system: TicketSystem,
  mode = 'ticket',
  extra: Record<string, string> = {},
) {
  return emulatorEnv(emulator, {
    STATE_STORAGE: world.azurite.connectionString,
    ACTION_MODE: mode,
    ...emulatorActionEnv(emulator, system),
    KEY_VAULT_URI: emulator.keyVaultUri,
    ...extra,
  });
}

const webhookPaths = (emulator: RunningEmulator) =>
  emulator.tickets.requests
    .filter((request) => request.system === 'webhook' && request.method === 'POST')
    .map((request) => request.path.split('?')[0]);

/** A receiver URL that carries its own secret, as Logic Apps and Teams URLs do. */
const tenantHook = (emulator: RunningEmulator, path = 'tenant-fabrikam') =>
  `${emulator.ticketsUrl}/webhook/${path}?sig=${SECRET_MARKER}hook-signature`;

describe('ticket routing per tenant', () => {
  test('when a tenant routes GitHub issues to its own repository, then the issue is filed there, and its updates stay there after the routing changes', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const first = await runScanInChild(env(emulator, 'github'), tenantId, {
      routing: { project: 'fabrikam/tenant-ops' },
    });
    expect(first.error).toBeUndefined();
    const [incident] = first.result.incidents;
    expect(incident.state).toBe('ticketed');
    expect(incident.ticket).toMatchObject({ system: 'github', destination: 'fabrikam/tenant-ops' });
    const repoOf = (issue: { owner: string; repo: string }) => `${issue.owner}/${issue.repo}`;
    expect(emulator.tickets.github.issues.map(repoOf)).toEqual(['fabrikam/tenant-ops']);

    // The operator moves the tenant elsewhere; the fix runs and the issue it opened is closed where it is.
    const second = await runScanInChild(env(emulator, 'github', 'remediate'), tenantId, {
      routing: { project: 'fabrikam/moved' },
    });
    expect(second.error).toBeUndefined();
    expect(second.result.actionErrors).toEqual([]);
    expect(emulator.tickets.github.issues.map(repoOf)).toEqual(['fabrikam/tenant-ops']);
    const [issue] = emulator.tickets.github.issues;
    expect(issue.state).toBe('closed');
    expect(issue.comments.length).toBeGreaterThan(0);
    expect(
      emulator.tickets.requests.filter(
        (request) => request.system === 'github' && request.path.includes('/moved/'),
      ),
    ).toEqual([]);
  });

  test('when a tenant routes Azure DevOps work items to its own project, then the item is filed there, and is resolved there after the routing changes', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.tickets.azureDevOps.projects.push('Fabrikam', 'Moved');
    const first = await runScanInChild(env(emulator, 'azuredevops'), tenantId, {
      routing: { project: 'Fabrikam' },
    });
    expect(first.error).toBeUndefined();
    expect(first.result.incidents[0].ticket).toMatchObject({
      system: 'azuredevops',
      destination: 'Fabrikam',
    });
    expect(emulator.tickets.azureDevOps.workItems.map((item) => item.project)).toEqual(['Fabrikam']);

    const second = await runScanInChild(env(emulator, 'azuredevops', 'remediate'), tenantId, {
      routing: { project: 'Moved' },
    });
    expect(second.result.actionErrors).toEqual([]);
    const [item] = emulator.tickets.azureDevOps.workItems;
    expect(item.project).toBe('Fabrikam');
    expect(item.fields['System.State']).toBe('Done');
    expect(item.comments.length).toBeGreaterThan(0);
    expect(
      emulator.tickets.requests.filter(
        (request) => request.system === 'azuredevops' && request.path.includes('/Moved/'),
      ),
    ).toEqual([]);
  });

  test('when a tenant names a ServiceNow assignment group, then its incident is assigned to that group', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const run = await runScanInChild(
      env(emulator, 'servicenow', 'ticket', { SERVICENOW_ASSIGNMENT_GROUP: 'Service Desk' }),
      tenantId,
      { routing: { assignmentGroup: 'Fabrikam Identity' } },
    );
    expect(run.error).toBeUndefined();
    expect(run.result.incidents[0].state).toBe('ticketed');
    expect(emulator.tickets.servicenow.incidents.map((incident) => incident.fields.assignment_group)).toEqual(
      ['Fabrikam Identity'],
    );
  });

  test('when a tenant names a Jira project, then the issue is filed in that project', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.tickets.jira.projects.push('FAB');
    const run = await runScanInChild(env(emulator, 'jira'), tenantId, { routing: { project: 'FAB' } });
    expect(run.error).toBeUndefined();
    expect(run.result.incidents[0].ticket.id).toMatch(/^FAB-\d+$/);
    expect(emulator.tickets.jira.issues.map((issue) => issue.projectKey)).toEqual(['FAB']);
  });

  test('when a tenant routes webhooks to a URL kept in Key Vault, then events go to that URL and the URL is never shown', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.keyVault.setSecret('tenant-fabrikam-webhook', tenantHook(emulator));
    const run = await runScanInChild(env(emulator, 'webhook', 'remediate'), tenantId, {
      routing: { webhookUrlSecret: 'tenant-fabrikam-webhook' },
    });
    expect(run.error).toBeUndefined();
    expect(run.result.actionErrors).toEqual([]);
    const [incident] = run.result.incidents;
    expect(incident.state).toBe('resolved');
    // The ticket shows the receiver's origin only: the path and query may be its secret.
    expect(incident.ticket).toEqual({ system: 'webhook', id: incident.id, url: emulator.ticketsUrl });
    expect(webhookPaths(emulator)).toEqual(['/webhook/tenant-fabrikam', '/webhook/tenant-fabrikam']);
    expect(emulator.tickets.webhook.deliveries.map((d) => (d.body as { event: string }).event)).toEqual([
      'opened',
      'resolved',
    ]);
    // Two events, one read: the value is cached for minutes.
    expect(emulator.keyVault.readsOf('tenant-fabrikam-webhook')).toBe(1);
    expect(emulator.keyVault.requests.map((request) => request.status)).toEqual([200]);
  });

  test('when the secret does not exist, then the ticket fails with TICKET.SECRET_UNAVAILABLE naming it, nothing is sent anywhere, and the next scan files it once the secret exists', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const routing = { webhookUrlSecret: 'tenant-fabrikam-webhook' };
    const first = await runScanInChild(env(emulator, 'webhook'), tenantId, { routing });
    expect(first.error).toBeUndefined();
    expect(first.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.SECRET_UNAVAILABLE',
        message: expect.stringMatching(
          /"tenant-fabrikam-webhook" does not exist in KEY_VAULT_URI \(404\)\. Create it/,
        ),
      }),
    ]);
    expect(first.result.incidents[0]).toMatchObject({ state: 'open', ticket: null });
    expect(webhookPaths(emulator)).toEqual([]);

    emulator.keyVault.setSecret('tenant-fabrikam-webhook', tenantHook(emulator));
    const second = await runScanInChild(env(emulator, 'webhook'), tenantId, { routing });
    expect(second.result.actionErrors).toEqual([]);
    expect(webhookPaths(emulator)).toEqual(['/webhook/tenant-fabrikam']);
  });

  test("when the app's identity may not read the vault, then the error says which role to grant, and nothing is sent", async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.keyVault.setSecret('tenant-fabrikam-webhook', tenantHook(emulator));
    emulator.keyVault.allowed = false;
    const run = await runScanInChild(env(emulator, 'webhook'), tenantId, {
      routing: { webhookUrlSecret: 'tenant-fabrikam-webhook' },
    });
    expect(run.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.SECRET_UNAVAILABLE',
        message: expect.stringContaining('Key Vault Secrets User'),
      }),
    ]);
    expect(webhookPaths(emulator)).toEqual([]);
  });

  test('when the secret holds a URL that is not https, then nothing is sent to it and the error says why', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const plain = tenantHook(emulator).replace('https://', 'http://');
    emulator.keyVault.setSecret('tenant-fabrikam-webhook', plain);
    const run = await runScanInChild(env(emulator, 'webhook'), tenantId, {
      routing: { webhookUrlSecret: 'tenant-fabrikam-webhook' },
    });
    expect(run.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.SECRET_INVALID',
        message: expect.stringContaining('https://'),
      }),
    ]);
    expect(run.stdout).not.toContain(plain);
    expect(webhookPaths(emulator)).toEqual([]);
    expect(run.result.incidents[0]).toMatchObject({ state: 'open', ticket: null });
  });

  test('when the vault answers with a redirect, then the token is not sent on, the read is not retried, and no ticket is sent', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.keyVault.setSecret('tenant-fabrikam-webhook', tenantHook(emulator));
    // The webhook fake stands in for the other host: a request following the redirect would land there.
    emulator.keyVault.redirectTo = `${emulator.ticketsUrl}/webhook/stolen`;
    const run = await runScanInChild(env(emulator, 'webhook'), tenantId, {
      routing: { webhookUrlSecret: 'tenant-fabrikam-webhook' },
    });
    expect(run.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.SECRET_UNAVAILABLE',
        message: expect.stringContaining('redirect'),
      }),
    ]);
    expect(emulator.keyVault.requests).toHaveLength(1);
    expect(emulator.tickets.requests.filter((request) => request.system === 'webhook')).toEqual([]);
  });

  test('when a routing does not fit TICKET_SYSTEM, then no ticket is sent anywhere and the error lists each problem', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    emulator.tickets.jira.projects.push('FAB');
    const run = await runScanInChild(env(emulator, 'jira'), tenantId, {
      routing: { project: 'FAB" OR project = "SSPR', assignmentGroup: 'Identity' },
    });
    expect(run.error).toBeUndefined();
    expect(run.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.ROUTING_INVALID',
        message: expect.stringMatching(
          /routing\.project must be a Jira project key.*routing\.assignmentGroup applies to servicenow only/,
        ),
      }),
    ]);
    expect(run.result.incidents[0]).toMatchObject({ state: 'open', ticket: null });
    expect(emulator.tickets.requests.filter((request) => request.system === 'jira')).toEqual([]);
  });

  test('when KEY_VAULT_URI is not set, then a routing that names a secret fails with the fix, and the default receiver gets nothing', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    const run = await runScanInChild(env(emulator, 'webhook', 'ticket', { KEY_VAULT_URI: '' }), tenantId, {
      routing: { webhookUrlSecret: 'tenant-fabrikam-webhook' },
    });
    expect(run.result.actionErrors).toEqual([
      expect.objectContaining({
        code: 'TICKET.SECRET_UNAVAILABLE',
        message: expect.stringContaining('KEY_VAULT_URI is not set'),
      }),
    ]);
    expect(webhookPaths(emulator)).toEqual([]);
  });
});
