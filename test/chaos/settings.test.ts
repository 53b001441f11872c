import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorEnv } from '../../src/local/emulatorEnv';
import { packageRoot } from '../../src/local/packageRoot';
import { loadFunctionsSettings } from '../../src/config/functionsSettings';
import { runCli, runCliBatch, type CliRun } from '../helpers/cli';

/**
 * Bad input: every setting the app reads, given an invalid value, stops it with CONFIG.INVALID and a
 * message that names the setting (and never echoes a secret). The built CLI's main() runs every case in
 * one child process (no case gets past its settings, so a process each would only add start-ups), and
 * one case also runs as its own process through bin/sspr-remediator.js; the Functions-only settings go
 * through the Functions app's own loader. The table must cover every
 * setting in local.settings.example.json, so a new setting cannot be added without a case here.
 */

// Nothing is reached: settings are checked before the first request.
const NOWHERE = {
  graphUrl: 'https://127.0.0.1:9',
  tokenEndpoint: 'http://127.0.0.1:9/msi/token',
  identityHeader: 'unused',
  caCertPath: '',
};
const TENANT = '9bbca45b-976d-5c89-a2a7-251f5ab48799';

const ticket = (system: string, settings: Record<string, string>) => ({
  ACTION_MODE: 'ticket',
  STATE_STORAGE: 'UseDevelopmentStorage=true',
  TICKET_SYSTEM: system,
  ...settings,
});
const SERVICENOW = ticket('servicenow', {
  SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com',
  SERVICENOW_USERNAME: 'sspr',
  SERVICENOW_PASSWORD: 'p4ssw0rd-servicenow',
});
const JIRA = ticket('jira', {
  JIRA_BASE_URL: 'https://contoso.atlassian.net',
  JIRA_EMAIL: 'sspr@contoso.com',
  JIRA_API_TOKEN: 'jira-token-123',
  JIRA_PROJECT_KEY: 'SEC',
});
const ADO = ticket('azuredevops', {
  AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/contoso',
  AZURE_DEVOPS_PROJECT: 'Identity',
  AZURE_DEVOPS_PAT: 'ado-pat-123',
});
const GITHUB = ticket('github', {
  GITHUB_REPOSITORY: 'contoso/identity-ops',
  GITHUB_TOKEN: 'github-token-123',
});
const WEBHOOK = ticket('webhook', { TICKET_WEBHOOK_URL: 'https://hooks.contoso.com/sspr' });
const RUNBOOK = {
  ...WEBHOOK,
  ACTION_MODE: 'remediate',
  AUTOMATION_SUBSCRIPTION_ID: '00000000-0000-4000-8000-00000000a001',
  AUTOMATION_RESOURCE_GROUP: 'rg-sspr',
  AUTOMATION_ACCOUNT: 'aa-sspr',
};

/** [setting, an invalid value, the other settings that make the app read it, whether the value is a secret (its leak-me-… part must not be echoed)]. */
const CLI_CASES: [string, string, Record<string, string>, boolean?][] = [
  ['AZURE_CLOUD', 'AzureMars', {}],
  ['GRAPH_ENDPOINT', 'http://graph.microsoft.com', {}],
  ['TENANT_ID', 'contoso.onmicrosoft.com', {}],
  ['SCAN_LOOKBACK', '45d', {}],
  ['SCAN_OVERLAP', '1m', {}],
  ['STATE_STORAGE', 'AccountName=x;AccountKey=leak-me-storage', {}, true],
  ['AUDIT_REQUESTS_PER_10S', '500', {}],
  ['GRAPH_MAX_ATTEMPTS', '0', {}],
  ['FLEET_AUDIT_REQUESTS_PER_10S', '123', { STATE_STORAGE: 'UseDevelopmentStorage=true' }],
  ['SSPR_SIGNATURES', '/nonexistent/signatures.json', {}],
  ['PII_MODE', 'scramble', {}],
  ['ACTION_MODE', 'fix-everything', {}],
  ['TICKET_SYSTEM', 'email', { ACTION_MODE: 'ticket', STATE_STORAGE: 'UseDevelopmentStorage=true' }],
  ['REMEDIATION_METHOD', 'powershell', {}],
  ['ALLOW_REVERTING_HARDENING', 'yes', {}],
  ['REMEDIATION_WAIT', 'forever', {}],
  ['VERIFY_FOR', 'soon', {}],
  ['TENANT_LEASE_SECONDS', '5', {}],
  ['KEY_VAULT_URI', 'http://kv-contoso.vault.azure.net/', {}],
  [
    'APPLICATIONINSIGHTS_CONNECTION_STRING',
    'InstrumentationKey=leak-me-ikey;IngestionEndpoint=https://dc.services.visualstudio.com/',
    {},
    true,
  ],
  ['SERVICENOW_INSTANCE_URL', 'http://contoso.service-now.com', SERVICENOW],
  ['SERVICENOW_USERNAME', 'sspr:admin', SERVICENOW],
  ['SERVICENOW_PASSWORD', '', SERVICENOW, true],
  ['JIRA_BASE_URL', 'ftp://contoso.atlassian.net', JIRA],
  ['JIRA_EMAIL', 'sspr:x@contoso.com', JIRA],
  ['JIRA_API_TOKEN', '', JIRA, true],
  ['JIRA_PROJECT_KEY', 'Security Team', JIRA],
  ['AZURE_DEVOPS_ORG_URL', 'http://dev.azure.com/contoso', ADO],
  ['AZURE_DEVOPS_PROJECT', 'Identity/Ops', ADO],
  ['AZURE_DEVOPS_PAT', '', ADO, true],
  ['AZURE_DEVOPS_WORK_ITEM_TYPE', 'Bug?x', ADO],
  ['GITHUB_REPOSITORY', 'identity-ops', GITHUB],
  ['GITHUB_TOKEN', '', GITHUB, true],
  ['GITHUB_API_URL', 'http://api.github.com', GITHUB],
  ['TICKET_WEBHOOK_URL', 'http://hooks.contoso.com/sspr', WEBHOOK],
  ['TICKET_WEBHOOK_SECRET', 'leak-me-short', WEBHOOK, true],
  ['AUTOMATION_SUBSCRIPTION_ID', 'my-subscription', RUNBOOK],
  ['AUTOMATION_RESOURCE_GROUP', 'rg/sspr', RUNBOOK],
  ['AUTOMATION_ACCOUNT', 'aa', RUNBOOK],
  ['AUTOMATION_RUNBOOK', '1-Enable', RUNBOOK],
  ['ARM_ENDPOINT', 'http://management.azure.com', RUNBOOK],
];

/** Read only by the Functions app (src/config/functionsSettings.ts). */
const FUNCTIONS_CASES: [string, string][] = [
  ['SCAN_SCHEDULE', 'every 15 minutes'],
  ['TENANTS', `${TENANT},contoso.com`],
  ['AzureWebJobsStorage', 'https://contoso.queue.core.windows.net'],
];

/** Any text is a valid value for these (names and labels in the ticket system), so there is no invalid one to try. */
const FREE_TEXT = [
  'SERVICENOW_ASSIGNMENT_GROUP',
  'SERVICENOW_CLOSE_CODE',
  'JIRA_ISSUE_TYPE',
  'AZURE_DEVOPS_DONE_STATE',
];
/** Read by the Functions host, not by our code. */
const HOST_ONLY = ['FUNCTIONS_WORKER_RUNTIME'];

function exampleSettings(): string[] {
  const text = readFileSync(join(packageRoot(), 'local.settings.example.json'), 'utf8');
  const json = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as { Values: Record<string, string> };
  return Object.keys(json.Values);
}

const runs = new Map<string, CliRun>();
const envFor = ([setting, value, context]: (typeof CLI_CASES)[number]) =>
  emulatorEnv(NOWHERE, { NODE_EXTRA_CA_CERTS: undefined, ...context, [setting]: value });

beforeAll(async () => {
  const results = await runCliBatch(
    CLI_CASES.map((testCase) => ({ args: ['scan', '--tenant', TENANT], env: envFor(testCase) })),
  );
  CLI_CASES.forEach(([setting], n) => runs.set(setting, results[n]));
});

describe('bad input: every setting, given an invalid value, names itself', () => {
  test('when a setting is in local.settings.example.json, then this table has a case for it', () => {
    const covered = new Set([
      ...CLI_CASES.map(([name]) => name),
      ...FUNCTIONS_CASES.map(([name]) => name),
      ...FREE_TEXT,
      ...HOST_ONLY,
    ]);
    const missing = exampleSettings().filter((name) => !covered.has(name));
    expect(missing).toEqual([]);
  });

  test.each(CLI_CASES.map(([setting, value, , secret]) => [setting, value, secret ?? false] as const))(
    'when %s=%j, then the CLI exits 2 with CONFIG.INVALID naming it',
    (setting, value, secret) => {
      const run = runs.get(setting)!;
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error CONFIG\.INVALID: /);
      expect(run.stderr).toContain(setting);
      expect(run.stdout).toBe('');
      // Secret values carry a leak-me-… marker that must not be echoed (a masked prefix is fine).
      const marker = /leak-me-[a-z]+/.exec(value)?.[0];
      if (secret && marker) expect(run.stderr).not.toContain(marker);
    },
  );

  test('when the CLI runs as its own process, then a bad setting gives the same exit code and message as in the batch', async () => {
    const testCase = CLI_CASES.find(([setting]) => setting === 'STATE_STORAGE')!;
    const alone = await runCli(['scan', '--tenant', TENANT], envFor(testCase));
    expect(alone).toEqual(runs.get('STATE_STORAGE'));
  });

  test.each(FUNCTIONS_CASES)(
    'when the Functions app reads %s=%j, then CONFIG.INVALID names it',
    (setting, value) => {
      const env = {
        TENANTS: TENANT,
        SCAN_SCHEDULE: '0 */15 * * * *',
        STATE_STORAGE: 'UseDevelopmentStorage=true',
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        [setting]: value,
      };
      expect(() => loadFunctionsSettings(env)).toThrow(
        expect.objectContaining({ code: 'CONFIG.INVALID', message: expect.stringContaining(setting) }),
      );
    },
  );
});
