import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import {
  ADO_EMULATOR_ORG,
  ADO_EMULATOR_PAT,
  ADO_EMULATOR_PROJECT,
} from '../../../emulator/tickets/azureDevOpsRoutes';
import { loadAzureDevOpsSettings } from '../../../src/config/tickets';
import { admin, contentFor } from '../../helpers/runInChild';
import { runSinkInChild, type SinkStep } from '../../helpers/runSinkInChild';

/**
 * The Azure DevOps sink, compiled, in its own process (Node trusts the emulator's certificate only
 * through NODE_EXTRA_CA_CERTS at start-up) against the Azure DevOps work item fake over HTTPS.
 */
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: 'demo' });
});
afterAll(async () => {
  await emulator?.stop();
});

function settings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AZURE_DEVOPS_ORG_URL: `${emulator.ticketsUrl}/ado/${ADO_EMULATOR_ORG}`,
    AZURE_DEVOPS_PROJECT: ADO_EMULATOR_PROJECT,
    AZURE_DEVOPS_PAT: ADO_EMULATOR_PAT,
    ...extra,
  };
}

async function run(steps: SinkStep[], extra: Record<string, string> = {}) {
  const result = await runSinkInChild({
    module: 'src/adapters/tickets/azureDevOpsSink.js',
    loader: 'loadAzureDevOpsSettings',
    sinkClass: 'AzureDevOpsSink',
    env: settings(extra),
    caCertPath: emulator.caCertPath,
    steps,
    sinkOptions: { backoffBaseMs: 10 },
  });
  const pat = settings(extra).AZURE_DEVOPS_PAT;
  expect(result.stdout).not.toContain(pat);
  expect(result.stderr).not.toContain(pat);
  return result.results;
}

/** A distinct admin for each call, so an update really adds one. */
const newAdmin = (upn: string) => admin(upn, randomUUID());

const itemsOf = (incidentId: string) =>
  emulator.tickets.azureDevOps.workItems.filter((item) =>
    String(item.fields['System.Tags']).split('; ').includes(`sspr-incident-${incidentId}`),
  );
const ourRequests = () => emulator.tickets.requests.filter((request) => request.system === 'azuredevops');

describe('Azure DevOps work item sink', () => {
  test('when no work item exists, then find answers nothing; when one is created, then find returns the same reference', async () => {
    const incidentId = randomUUID();
    const [missing, created, found] = await run([
      { op: 'find', args: [incidentId] },
      {
        op: 'create',
        args: [
          contentFor(incidentId, 'opened', [newAdmin('<script>alert(1)</script>@contoso.com')]),
          `${incidentId}:opened`,
        ],
      },
      { op: 'find', args: [incidentId] },
    ]);
    expect(missing).toEqual({ ok: true });
    expect(created.value).toMatchObject({
      system: 'azuredevops',
      id: expect.stringMatching(/^\d+$/),
      url: expect.stringContaining('/_workitems/edit/'),
    });
    expect(found.value).toEqual(created.value);

    const [item] = itemsOf(incidentId);
    expect(item.fields).toMatchObject({
      'System.WorkItemType': 'Issue',
      'System.State': 'To Do',
      'System.Tags': `sspr-remediator; sspr-incident-${incidentId}`,
    });
    expect(item.fields['System.Title']).toContain('SSPR_009');
    expect(item.fields['System.Description']).toContain('<table>');
    expect(item.fields['System.Description']).toContain('&lt;script&gt;');
    expect(item.fields['System.Description']).not.toContain('<script>');

    const create = ourRequests().find(
      (request) => request.method === 'POST' && request.path.includes('/_apis/wit/workitems/$Issue'),
    );
    expect(create?.headers).toMatchObject({
      authorization: '<redacted>',
      'content-type': 'application/json-patch+json',
    });
    const wiql = ourRequests().find((request) => request.path.includes('/_apis/wit/wiql?api-version=7.1'));
    expect((wiql?.body as { query: string }).query).toBe(
      `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS 'sspr-incident-${incidentId}'`,
    );
  });

  test('when another work item has a tag that merely contains ours, then find does not take it', async () => {
    const incidentId = randomUUID();
    // A hand-made item whose tag extends ours: WIQL CONTAINS matches it, the exact tag check must not.
    emulator.tickets.azureDevOps.workItems.push({
      id: emulator.tickets.azureDevOps.nextId++,
      rev: 1,
      project: ADO_EMULATOR_PROJECT,
      fields: {
        'System.TeamProject': ADO_EMULATOR_PROJECT,
        'System.WorkItemType': 'Issue',
        'System.State': 'To Do',
        'System.Title': 'look-alike',
        'System.Tags': `sspr-incident-${incidentId}-copy`,
      },
      comments: [],
    });
    const [found] = await run([{ op: 'find', args: [incidentId] }]);
    expect(found).toEqual({ ok: true });
  });

  test('when an update is sent twice with the same key, then the work item gets one comment; when resolved, then its State is Done', async () => {
    const incidentId = randomUUID();
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    const ref = created.value;
    const updated = contentFor(incidentId, 'updated', [
      newAdmin('ada@contoso.com'),
      newAdmin('grace@contoso.com'),
    ]);
    const steps = await run([
      { op: 'update', args: [ref, updated, `${incidentId}:updated:2`] },
      { op: 'update', args: [ref, updated, `${incidentId}:updated:2`] },
      { op: 'update', args: [ref, contentFor(incidentId, 'resolved'), `${incidentId}:resolved`] },
    ]);
    expect(steps.every((step) => step.ok)).toBe(true);

    const [item] = itemsOf(incidentId);
    expect(item.comments).toHaveLength(2);
    expect(item.comments[0].text).toContain('grace@contoso.com');
    expect(item.comments[1].text).toContain('Resolved');
    expect(item.fields['System.State']).toBe('Done');
    const comment = ourRequests().find(
      (request) => request.method === 'POST' && request.path.includes(`/workItems/${ref.id}/comments`),
    );
    expect(comment?.path).toContain('api-version=7.1-preview.4');
  });

  test('when the closed state does not exist for the type, then the error names AZURE_DEVOPS_DONE_STATE', async () => {
    const incidentId = randomUUID();
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    const [failed] = await run(
      [{ op: 'update', args: [created.value, contentFor(incidentId, 'resolved'), `${incidentId}:resolved`] }],
      {
        AZURE_DEVOPS_DONE_STATE: 'Closed',
      },
    );
    expect(failed.error).toMatchObject({ code: 'TICKET.AZUREDEVOPS_FAILED' });
    expect(failed.error!.message).toContain('AZURE_DEVOPS_DONE_STATE');
  });

  test('when Azure DevOps answers 503 once, then the retry files one work item, not two', async () => {
    const incidentId = randomUUID();
    emulator.tickets.failNext('azuredevops', 503, 1, 0);
    const before = ourRequests().length;
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    expect(created.ok).toBe(true);
    expect(itemsOf(incidentId)).toHaveLength(1);
    expect(
      ourRequests()
        .slice(before)
        .map((request) => request.status),
    ).toContain(503);
  });

  test('when the answer to a create or a comment is lost (504 after Azure DevOps stored it), then the retry finds it instead of posting again', async () => {
    const incidentId = randomUUID();
    emulator.tickets.loseNextAnswers('azuredevops', 504, 1);
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    expect(created.ok).toBe(true);
    expect(itemsOf(incidentId)).toHaveLength(1);
    expect(created.value.id).toBe(String(itemsOf(incidentId)[0].id));

    // The update reads the comments first; the answer lost is the POST's.
    emulator.tickets.loseNextAnswersTo('azuredevops', 'POST', 504, 1);
    const before = ourRequests().length;
    const updated = contentFor(incidentId, 'updated', [
      newAdmin('ada@contoso.com'),
      newAdmin('grace@contoso.com'),
    ]);
    const [update] = await run([{ op: 'update', args: [created.value, updated, `${incidentId}:updated:2`] }]);
    expect(update.ok).toBe(true);
    expect(
      ourRequests()
        .slice(before)
        .find((request) => request.method === 'POST' && request.path.includes('/comments'))?.status,
    ).toBe(504);
    expect(itemsOf(incidentId)[0].comments).toHaveLength(1);
  });

  test('when the PAT is wrong, then TICKET.AZUREDEVOPS_FAILED names AZURE_DEVOPS_PAT and shows no secret', async () => {
    const secret = 'wrong-pat-0123456789abcdef';
    const [failed] = await run([{ op: 'find', args: [randomUUID()] }], { AZURE_DEVOPS_PAT: secret });
    expect(failed.error).toMatchObject({ code: 'TICKET.AZUREDEVOPS_FAILED', transient: false });
    expect(failed.error!.message).toContain('AZURE_DEVOPS_PAT');
    expect(failed.error!.message).not.toContain(secret);
    expect(failed.error!.message).not.toContain(Buffer.from(`:${secret}`).toString('base64'));
    expect(ourRequests().at(-1)).toMatchObject({
      status: 401,
      headers: expect.objectContaining({ authorization: '<redacted>' }),
    });
    expect(JSON.stringify(emulator.tickets.requests)).not.toContain(
      Buffer.from(`:${secret}`).toString('base64'),
    );
  });
});

describe('Azure DevOps settings', () => {
  test('when the org URL is http and the PAT is missing, then CONFIG.INVALID names both variables', () => {
    expect(() =>
      loadAzureDevOpsSettings({
        AZURE_DEVOPS_ORG_URL: 'http://dev.azure.com/contoso',
        AZURE_DEVOPS_PROJECT: 'Identity',
      }),
    ).toThrow(/AZURE_DEVOPS_ORG_URL must be an https:\/\/ URL[\s\S]*AZURE_DEVOPS_PAT is required/);
  });

  test('when only the required settings are given, then the type is Issue and the closed state Done', () => {
    const loaded = loadAzureDevOpsSettings({
      AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/contoso/',
      AZURE_DEVOPS_PROJECT: 'Identity',
      AZURE_DEVOPS_PAT: 'x',
    });
    expect(loaded).toMatchObject({
      AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/contoso',
      AZURE_DEVOPS_WORK_ITEM_TYPE: 'Issue',
      AZURE_DEVOPS_DONE_STATE: 'Done',
    });
  });
});
