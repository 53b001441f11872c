import fs from 'node:fs';
import path from 'node:path';
import * as automationSettings from '../../src/config/automation';
import * as ticketSettings from '../../src/config/tickets';
import { checkFunctionsSettings } from '../../src/config/functionsSettings';
import { loadConfig, TICKET_SYSTEMS } from '../../src/config/config';
import { loadTelemetrySettings } from '../../src/config/telemetry';
import { readBicep } from './lib/bicep';
import {
  checkSettings,
  documentedNames,
  mergeReads,
  requiredByExportedSchemas,
  settingsReadIn,
  settingsSetByBicep,
  sourceFiles,
  type SettingRead,
  type SettingSet,
} from './lib/settings';
import { ACTION_MODES } from '../../src/core/modes';

/**
 * Every setting the app reads is set by the deployment (infra/app/appsettings.bicep) or documented as
 * optional (docs/DEPLOY.md); every required one is set; Bicep sets nothing nobody reads.
 */
const ROOT = path.join(__dirname, '../..');
const SRC = path.join(ROOT, 'src');
const DOC_HEADING = '## Settings the deployment does not set';

/** Laptop-only code: the CLI entry point, the demo and the local emulator wiring are not deployed. */
const notDeployed = (file: string) =>
  file.startsWith(path.join(SRC, 'local') + path.sep) || file === path.join(SRC, 'cli.ts');

/** Set by Bicep for the Functions host or the platform; src/ does not read them. */
const PLATFORM_SETTINGS = [
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

const appFiles = sourceFiles(SRC).filter((file) => !notDeployed(file));
const required = new Set(
  [automationSettings, ticketSettings].flatMap((exports) => [
    ...requiredByExportedSchemas(exports as Record<string, unknown>),
  ]),
);
const reads = mergeReads(
  appFiles.flatMap((file) => settingsReadIn(file, fs.readFileSync(file, 'utf8'), ROOT)),
  required,
);
const appSettingsBicep = readBicep(path.join(ROOT, 'infra/app/appsettings.bicep'));
const set = settingsSetByBicep(appSettingsBicep);
const deployDoc = fs.readFileSync(path.join(ROOT, 'docs/DEPLOY.md'), 'utf8');
const documentedOptional = documentedNames(deployDoc, DOC_HEADING);

describe('settings: the code, infra/app/appsettings.bicep and docs/DEPLOY.md', () => {
  test('when the sources are read, then the settings of config.ts, the Functions app, Automation, telemetry and every ticket system are found', () => {
    const names = new Set(reads.map((r) => r.name));
    for (const name of [
      'ACTION_MODE',
      'STATE_STORAGE',
      'PII_MODE',
      'AUTOMATION_ACCOUNT',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'TENANTS',
      'JIRA_API_TOKEN',
      'TICKET_WEBHOOK_URL',
    ]) {
      expect(names).toContain(name);
    }
    expect(reads.find((r) => r.name === 'JIRA_API_TOKEN')).toMatchObject({ scope: 'jira', required: true });
    expect(reads.find((r) => r.name === 'TICKET_WEBHOOK_SECRET')).toMatchObject({
      scope: 'webhook',
      required: false,
    });
    expect(reads.find((r) => r.name === 'AUTOMATION_ACCOUNT')).toMatchObject({
      scope: 'always',
      required: true,
    });
  });

  test("when appsettings.bicep is read, then it sets the core settings always and each ticket system's only for it", () => {
    expect(set).toEqual(
      expect.arrayContaining([
        { name: 'ACTION_MODE', scope: 'always', conditional: false },
        { name: 'AzureWebJobsStorage__credential', scope: 'always', conditional: false },
        { name: 'SERVICENOW_PASSWORD', scope: 'servicenow', conditional: false },
        { name: 'TICKET_WEBHOOK_SECRET', scope: 'webhook', conditional: true },
      ]),
    );
    expect(
      Object.fromEntries(TICKET_SYSTEMS.map((system) => [system, set.some((s) => s.scope === system)])),
    ).toEqual(Object.fromEntries(TICKET_SYSTEMS.map((system) => [system, true])));
  });

  test('when every setting the app reads is compared with what the deployment sets and documents, then nothing is missing, stale or unread', () => {
    expect(checkSettings({ reads, set, documentedOptional, platform: PLATFORM_SETTINGS })).toEqual([]);
  });

  test('when the Functions host reaches storage, then it is by identity: credential managedidentity, service URIs, no connection string or key', () => {
    const names = set.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['AzureWebJobsStorage__credential', 'AzureWebJobsStorage__queueServiceUri']),
    );
    expect(names).not.toContain('AzureWebJobsStorage');
    expect(appSettingsBicep.text).toMatch(/AzureWebJobsStorage__credential:\s*'managedidentity'/);
    expect(appSettingsBicep.text).not.toMatch(/listKeys|AccountKey|SharedAccessSignature/);
  });

  test('when a boolean setting is written, then it is the text true/false the app accepts, never string(bool) (which gives True)', () => {
    expect(appSettingsBicep.text).not.toMatch(/:\s*string\(/);
    expect(appSettingsBicep.text).toMatch(
      /ALLOW_REVERTING_HARDENING:\s*allowRevertingHardening \? 'true' : 'false'/,
    );
  });
});

describe('settings: the check fails when one side loses a setting', () => {
  const problems = (
    overrides: Partial<{ reads: SettingRead[]; set: SettingSet[]; documentedOptional: string[] }>,
  ) => checkSettings({ reads, set, documentedOptional, platform: PLATFORM_SETTINGS, ...overrides });

  test('when Bicep stops setting a required setting (AUTOMATION_ACCOUNT), then the check names it and the file that requires it', () => {
    const found = problems({ set: set.filter((s) => s.name !== 'AUTOMATION_ACCOUNT') });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^AUTOMATION_ACCOUNT is required by src\/config\/automation\.ts:\d+/);
  });

  test("when Bicep stops setting a ticket system's required secret (JIRA_API_TOKEN), then the check names it for jira", () => {
    expect(problems({ set: set.filter((s) => s.name !== 'JIRA_API_TOKEN') })).toEqual([
      expect.stringMatching(/^JIRA_API_TOKEN \(TICKET_SYSTEM=jira\) is required by src\/config\/tickets\.ts/),
    ]);
  });

  test('when a required setting is only set in a ?: branch, then the check says it is not set in every case', () => {
    const found = problems({
      set: set.map((s) => (s.name === 'TICKET_WEBHOOK_URL' ? { ...s, conditional: true } : s)),
    });
    expect(found).toEqual([
      expect.stringMatching(
        /TICKET_WEBHOOK_URL \(TICKET_SYSTEM=webhook\) is required .* not set it in every case/,
      ),
    ]);
  });

  test('when an optional setting drops out of the documented list, then the check names it', () => {
    const found = problems({
      documentedOptional: documentedOptional.filter((name) => name !== 'SCAN_LOOKBACK'),
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^SCAN_LOOKBACK is read by src\/config\/config\.ts:\d+.* but neither set .* nor listed in docs\/DEPLOY\.md/,
      ),
    ]);
  });

  test('when the app starts reading a new setting, then the check names it until Bicep sets it or the doc lists it', () => {
    const found = problems({
      reads: [...reads, { name: 'NEW_SETTING', scope: 'always', required: false, source: 'src/new.ts:1' }],
    });
    expect(found).toEqual([
      'NEW_SETTING is read by src/new.ts:1 but neither set by infra/app/appsettings.bicep nor listed in docs/DEPLOY.md "Settings the deployment does not set".',
    ]);
  });

  test('when Bicep sets a setting with a typo, then the check says nothing reads it', () => {
    const found = problems({ set: [...set, { name: 'ACTON_MODE', scope: 'always', conditional: false }] });
    expect(found).toEqual([
      expect.stringMatching(
        /^ACTON_MODE is set by infra\/app\/appsettings\.bicep but nothing in src\/ reads it/,
      ),
    ]);
  });

  test("when a ticket system is given another system's setting, then the check says that system does not read it", () => {
    const found = problems({ set: [...set, { name: 'JIRA_EMAIL', scope: 'github', conditional: false }] });
    expect(found).toEqual(['JIRA_EMAIL is set for TICKET_SYSTEM=github, but that system does not read it.']);
  });

  test('when the doc lists a setting nothing reads, then the check calls the doc stale', () => {
    expect(problems({ documentedOptional: [...documentedOptional, 'OLD_SETTING'] })).toEqual([
      'docs/DEPLOY.md lists OLD_SETTING as optional, but nothing in src/ reads it.',
    ]);
  });

  test('when the source of a schema loses a key, then the reads no longer have it (the scan is of the real text)', () => {
    const config = fs.readFileSync(path.join(SRC, 'config/config.ts'), 'utf8');
    const without = config.replace(/^\s*PII_MODE: z\.preprocess\([\s\S]*?\),\n(?=\}\);)/m, '');
    expect(without).not.toEqual(config);
    const names = (text: string) =>
      settingsReadIn(path.join(SRC, 'config/config.ts'), text, ROOT).map((r) => r.name);
    expect(names(config)).toContain('PII_MODE');
    expect(names(without)).not.toContain('PII_MODE');
  });
});

/**
 * The settings Bicep sets, with a realistic value each (Key Vault references resolved), run through the
 * app's own validators for every mode and ticket system: the deployment starts without CONFIG.INVALID.
 */
const SAMPLE_VALUES: Record<string, string> = {
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__blobServiceUri: 'https://stsample.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://stsample.queue.core.windows.net/',
  AzureWebJobsStorage__tableServiceUri: 'https://stsample.table.core.windows.net/',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;ApplicationId=00000000-0000-4000-8000-000000000002',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
  AZURE_CLOUD: 'AzurePublic',
  GRAPH_ENDPOINT: 'https://graph.microsoft.com',
  TENANTS: '00000000-0000-4000-8000-0000000000aa',
  SCAN_SCHEDULE: '0 */15 * * * *',
  STATE_STORAGE: 'https://stsample.table.core.windows.net',
  ALLOW_REVERTING_HARDENING: 'false',
  PII_MODE: 'plain',
  API_AUDIENCE: '5e1f3c2a-0000-4000-8000-00000000a9e4',
  API_TENANT_ID: '',
  REMEDIATION_METHOD: 'runbook',
  AUTOMATION_SUBSCRIPTION_ID: '00000000-0000-4000-8000-0000000000bb',
  AUTOMATION_RESOURCE_GROUP: 'rg-sspr',
  AUTOMATION_ACCOUNT: 'aa-sspr-abcdefghijklm',
  AUTOMATION_RUNBOOK: 'Enable-AdminSspr',
  ARM_ENDPOINT: 'https://management.azure.com',
  KEY_VAULT_URI: 'https://kv-sample.vault.azure.net/',
  SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com',
  SERVICENOW_USERNAME: 'sspr-integration',
  SERVICENOW_PASSWORD: 'secret-from-key-vault',
  JIRA_BASE_URL: 'https://contoso.atlassian.net',
  JIRA_EMAIL: 'ops@contoso.com',
  JIRA_PROJECT_KEY: 'SEC',
  JIRA_API_TOKEN: 'secret-from-key-vault',
  AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/contoso',
  AZURE_DEVOPS_PROJECT: 'Identity',
  AZURE_DEVOPS_PAT: 'secret-from-key-vault',
  GITHUB_REPOSITORY: 'contoso/identity-ops',
  GITHUB_TOKEN: 'secret-from-key-vault',
  GITHUB_API_URL: 'https://api.github.com',
  TICKET_WEBHOOK_URL: 'https://hooks.contoso.com/sspr',
  TICKET_WEBHOOK_SECRET: 'secret-from-key-vault-0123456789',
  FLEET_CLIENT_ID: '00000000-0000-4000-8000-00000000f1ee',
  FLEET_MANAGED_IDENTITY_CLIENT_ID: '00000000-0000-4000-8000-0000000001d0',
};

function deployedEnv(mode: string, system: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const s of set) {
    if (s.scope !== 'always' && s.scope !== system) continue;
    if (!(s.name in SAMPLE_VALUES) && !['ACTION_MODE', 'TICKET_SYSTEM'].includes(s.name)) {
      throw new Error(`add a sample value for ${s.name} to SAMPLE_VALUES in ${path.basename(__filename)}`);
    }
    env[s.name] = SAMPLE_VALUES[s.name];
  }
  env.ACTION_MODE = mode;
  env.TICKET_SYSTEM = system;
  return env;
}

const SINK_SCHEMAS = {
  servicenow: ticketSettings.servicenowSettingsSchema,
  jira: ticketSettings.jiraSettingsSchema,
  azuredevops: ticketSettings.azureDevOpsSettingsSchema,
  github: ticketSettings.githubSettingsSchema,
  webhook: ticketSettings.webhookSettingsSchema,
} as const;

describe("settings: what the deployment sets passes the app's own validation", () => {
  test.each(ACTION_MODES.flatMap((mode) => TICKET_SYSTEMS.map((system) => [mode, system] as const)))(
    'when ACTION_MODE=%s and TICKET_SYSTEM=%s are deployed, then config, Functions, Automation, telemetry and ticket settings all load',
    (mode, system) => {
      const env = deployedEnv(mode, system);
      expect(() => loadConfig(env)).not.toThrow();
      expect(checkFunctionsSettings(env).problems).toEqual([]);
      expect(automationSettings.automationSettingsSchema.safeParse(env).success).toBe(true);
      expect(() => loadTelemetrySettings(env)).not.toThrow();
      const sink = SINK_SCHEMAS[system].safeParse(env);
      expect(
        sink.success ? [] : sink.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`),
      ).toEqual([]);
    },
  );

  test('when no ticket system is chosen (report), then config, Functions, Automation and telemetry settings load', () => {
    const env = deployedEnv('report', '');
    expect(loadConfig(env).actionMode).toBe('report');
    expect(checkFunctionsSettings(env).problems).toEqual([]);
  });

  test("when a required setting is left out of the deployed settings, then the app's validation fails (the comparison above is not vacuous)", () => {
    const env = deployedEnv('report', '');
    delete env.SCAN_SCHEDULE;
    expect(checkFunctionsSettings(env).problems.map((p) => p.setting)).toEqual(['SCAN_SCHEDULE']);
  });
});
