import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GRAPH, initialState, PERMISSION_IDS, runWithFakeAz, type FakeAzState } from './lib/fakeAz';

/**
 * The postprovision hook's scripts, run for real with bash against a stand-in `az` (lib/fakeAz.ts):
 * what they send to Microsoft Graph and Resource Manager, and that a second run changes nothing.
 */
const ROOT = path.join(__dirname, '../..');
const GRANT = path.join(ROOT, 'infra/scripts/grant-graph-permissions.sh');
const PUBLISH = path.join(ROOT, 'infra/scripts/publish-runbook.sh');
const FUNCTION_ID = 'function-principal-id';
const RUNBOOK_ID = 'runbook-principal-id';

const grantEnv = (actionMode: string, remediationMethod: string, extra: Record<string, string> = {}) => ({
  ACTION_MODE: actionMode,
  REMEDIATION_METHOD: remediationMethod,
  FUNCTION_PRINCIPAL_ID: FUNCTION_ID,
  RUNBOOK_PRINCIPAL_ID: RUNBOOK_ID,
  ...extra,
});

/** The permissions each principal holds on Graph, by name. */
function held(state: FakeAzState): Record<string, string[]> {
  const names = Object.fromEntries(Object.entries(PERMISSION_IDS).map(([name, id]) => [id, name]));
  return Object.fromEntries(
    Object.entries(state.assignments).map(([principal, list]) => [
      principal,
      list
        .filter((a) => a.resourceId === state.graphSp.id)
        .map((a) => names[a.appRoleId] ?? a.appRoleId)
        .sort(),
    ]),
  );
}
const writes = (state: FakeAzState) =>
  state.calls.filter(
    (call) => call[0] === 'rest' && ['post', 'delete', 'put'].includes(call[call.indexOf('--method') + 1]),
  );

const READS = ['AuditLog.Read.All', 'Policy.Read.All', 'RoleManagement.Read.Directory', 'User.Read.All'];

describe('grant-graph-permissions.sh', () => {
  test('when run in report mode, then the Function identity gets the four read permissions and the runbook identity nothing', () => {
    const run = runWithFakeAz(GRANT, grantEnv('report', 'runbook'), initialState());
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(held(run.state)).toEqual({ [FUNCTION_ID]: READS, [RUNBOOK_ID]: [] });
    expect(run.stdout).toMatch(/granting: AuditLog\.Read\.All to the function identity/);
    expect(run.stdout).toMatch(/Microsoft Graph permissions: 4 change\(s\)\.$/m);
    // The Graph of the cloud az is signed in to, when GRAPH_ENDPOINT is not given.
    expect(run.state.calls[0]).toEqual([
      'cloud',
      'show',
      '--query',
      'endpoints.microsoftGraphResourceId',
      '--output',
      'tsv',
    ]);
  });

  test('when run a second time, then nothing is sent: every permission is already granted', () => {
    const first = runWithFakeAz(GRANT, grantEnv('report', 'runbook'), initialState());
    const second = runWithFakeAz(GRANT, grantEnv('report', 'runbook'), { ...first.state, calls: [] });
    expect(second.status).toBe(0);
    expect(writes(second.state)).toEqual([]);
    expect(second.stdout.match(/^already granted: /gm)).toHaveLength(4);
    expect(second.stdout).toMatch(/0 change\(s\)\.$/m);
  });

  test('when switched to remediate with the runbook, then only the runbook identity gets Policy.ReadWrite.Authorization', () => {
    const run = runWithFakeAz(
      GRANT,
      grantEnv('remediate', 'runbook', { GRAPH_ENDPOINT: GRAPH }),
      initialState(),
    );
    expect(run.status).toBe(0);
    expect(held(run.state)).toEqual({
      [FUNCTION_ID]: READS,
      [RUNBOOK_ID]: ['Policy.ReadWrite.Authorization'],
    });
    expect(run.state.calls.some((call) => call[0] === 'cloud')).toBe(false);
  });

  test('when switched to approve with the direct Graph method, then the Function identity gets the write permission and the runbook identity not', () => {
    const run = runWithFakeAz(GRANT, grantEnv('approve', 'graph', { GRAPH_ENDPOINT: GRAPH }), initialState());
    expect(held(run.state)).toEqual({
      [FUNCTION_ID]: [...READS, 'Policy.ReadWrite.Authorization'].sort(),
      [RUNBOOK_ID]: [],
    });
  });

  test('when switched back to report, then the write permission is revoked and assignments outside the manifest are left alone', () => {
    const remediating = runWithFakeAz(
      GRANT,
      grantEnv('remediate', 'runbook', { GRAPH_ENDPOINT: GRAPH }),
      initialState(),
    );
    const unrelated = {
      id: 'other-assignment',
      appRoleId: PERMISSION_IDS['Policy.ReadWrite.Authorization'],
      resourceId: 'some-other-api',
    };
    remediating.state.assignments[RUNBOOK_ID].push(unrelated);
    const back = runWithFakeAz(GRANT, grantEnv('report', 'runbook', { GRAPH_ENDPOINT: GRAPH }), {
      ...remediating.state,
      calls: [],
    });
    expect(back.status).toBe(0);
    expect(back.stdout).toMatch(
      /revoking \(not needed with ACTION_MODE=report, REMEDIATION_METHOD=runbook\): Policy\.ReadWrite\.Authorization from the runbook identity/,
    );
    expect(held(back.state)[RUNBOOK_ID]).toEqual([]);
    expect(back.state.assignments[RUNBOOK_ID]).toEqual([unrelated]);
    expect(writes(back.state).map((call) => call[call.indexOf('--method') + 1])).toEqual(['delete']);
  });

  test('when DRY_RUN=true, then it says what it would grant and sends nothing', () => {
    const run = runWithFakeAz(
      GRANT,
      grantEnv('remediate', 'runbook', { GRAPH_ENDPOINT: GRAPH, DRY_RUN: 'true' }),
      initialState(),
    );
    expect(run.status).toBe(0);
    expect(writes(run.state)).toEqual([]);
    expect(run.stdout).toMatch(/5 change\(s\) \(dry run: nothing sent\)\.$/m);
  });

  test('when the signed-in user may not consent, then it stops with exit 3 and the manual steps', () => {
    const run = runWithFakeAz(
      GRANT,
      grantEnv('report', 'runbook', { GRAPH_ENDPOINT: GRAPH }),
      initialState({ forbidWrites: true }),
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/Authorization_RequestDenied/);
    expect(run.stderr).toMatch(/Privileged Role Administrator or Global\s+Administrator/);
    expect(run.stderr).toMatch(/FUNCTION_PRINCIPAL_ID=function-principal-id/);
    expect(run.stderr).toMatch(/docs\/DEPLOY\.md "Granting the Graph permissions by hand"/);
  });

  test('when the Function identity is unknown (not provisioned), then it stops and says to run azd provision', () => {
    const run = runWithFakeAz(
      GRANT,
      grantEnv('report', 'runbook', { GRAPH_ENDPOINT: GRAPH, FUNCTION_PRINCIPAL_ID: '' }),
      initialState(),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /FUNCTION_PRINCIPAL_ID is empty: cannot grant AuditLog\.Read\.All to the function identity\. Run 'azd provision' first\./,
    );
    expect(writes(run.state)).toEqual([]);
  });

  test('when the manifest names a permission Graph does not have, then it stops and names it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/graph-permissions.json'), 'utf8'));
    manifest.grants.push({
      identity: 'function',
      permission: 'Policy.Read.Everything',
      reason: 'a typo, for the test',
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    const file = path.join(dir, 'graph-permissions.json');
    fs.writeFileSync(file, JSON.stringify(manifest));
    const run = runWithFakeAz(
      GRANT,
      grantEnv('report', 'runbook', { GRAPH_ENDPOINT: GRAPH, GRAPH_PERMISSIONS_FILE: file }),
      initialState(),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /Microsoft Graph has no application permission named Policy\.Read\.Everything\./,
    );
  });
});

describe('publish-runbook.sh', () => {
  const env = {
    AZURE_SUBSCRIPTION_ID: '00000000-0000-4000-8000-0000000000bb',
    AZURE_RESOURCE_GROUP: 'rg-sspr',
    AUTOMATION_ACCOUNT: 'aa-sspr-abcdefghij123',
    AUTOMATION_RUNBOOK: 'Enable-AdminSspr',
  };
  const script = fs.readFileSync(path.join(ROOT, 'infra/runbooks/Enable-AdminSspr.ps1'), 'utf8');
  const runbookId = `/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/rg-sspr/providers/Microsoft.Automation/automationAccounts/${env.AUTOMATION_ACCOUNT}/runbooks/Enable-AdminSspr`;

  test('when the runbook has no content yet, then it uploads the file as the draft, waits for it, publishes, and confirms', () => {
    const run = runWithFakeAz(PUBLISH, env, initialState());
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.state.runbook.published).toBe(script);
    const requests = run.state.calls.map(
      (call) => `${call[call.indexOf('--method') + 1]} ${call[call.indexOf('--url') + 1]}`,
    );
    expect(requests).toEqual([
      `get ${runbookId}/content?api-version=2023-11-01`,
      `put ${runbookId}/draft/content?api-version=2023-11-01`,
      `get ${runbookId}/draft/content?api-version=2023-11-01`,
      `post ${runbookId}/publish?api-version=2023-11-01`,
      `get ${runbookId}/content?api-version=2023-11-01`,
    ]);
    const put = run.state.calls[1];
    expect(put[put.indexOf('--headers') + 1]).toBe('Content-Type=text/powershell');
    expect(path.resolve(put[put.indexOf('--body') + 1].replace(/^@/, ''))).toBe(
      path.join(ROOT, 'infra/runbooks/Enable-AdminSspr.ps1'),
    );
  });

  test('when the published content is already the file (CRLF aside), then nothing is sent', () => {
    const run = runWithFakeAz(
      PUBLISH,
      env,
      initialState({ runbook: { published: script.replace(/\n/g, '\r\n') } }),
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/published content is already .*Enable-AdminSspr\.ps1; nothing to do\./);
    expect(writes(run.state)).toEqual([]);
  });

  test('when an older version is published, then the new one replaces it', () => {
    const run = runWithFakeAz(
      PUBLISH,
      env,
      initialState({ runbook: { published: '# old', draft: '# old' } }),
    );
    expect(run.status).toBe(0);
    expect(run.state.runbook.published).toBe(script);
  });

  test('when the draft never shows the new content, then it stops instead of publishing the old draft', () => {
    const run = runWithFakeAz(
      PUBLISH,
      { ...env, PUBLISH_TIMEOUT_SECONDS: '0' },
      initialState({ runbook: { published: '# old', draft: '# old', draftNeverUpdates: true } }),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the draft of Enable-AdminSspr did not show the new content within 0s/);
    expect(run.state.calls.some((call) => call.includes('post'))).toBe(false);
    expect(run.state.runbook.published).toBe('# old');
  });

  test('when the runbook name has no file in infra/runbooks, then it stops with exit 2 before calling Azure', () => {
    const run = runWithFakeAz(PUBLISH, { ...env, AUTOMATION_RUNBOOK: 'Enable-Something' }, initialState());
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/Enable-Something\.ps1 not found/);
    expect(run.state.calls).toEqual([]);
  });

  test('when the Automation account is not known, then it says which output is missing', () => {
    const { AUTOMATION_ACCOUNT: _unset, ...rest } = env;
    void _unset;
    const run = runWithFakeAz(PUBLISH, rest, initialState());
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/AUTOMATION_ACCOUNT is not set: it is an output of infra\/main\.bicep\./);
  });
});
