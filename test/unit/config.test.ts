import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { AppError } from '../../src/errors';

function configError(env: NodeJS.ProcessEnv): AppError {
  try {
    loadConfig(env);
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  test('when nothing is set, then the safe defaults apply', () => {
    expect(loadConfig({})).toMatchObject({
      cloud: 'AzurePublic',
      graphEndpoint: 'https://graph.microsoft.com',
      authorityHost: 'https://login.microsoftonline.com',
      lookbackMs: 24 * 3_600_000,
      overlapMs: 10 * 60_000,
      stateStorage: undefined,
      auditRequestsPer10s: 5,
      piiMode: 'plain',
    });
  });

  test('when settings of several sections are wrong, then one CONFIG.INVALID carries each as data, secrets unshown', () => {
    const error = configError({
      ACTION_MODE: 'remediate',
      STATE_STORAGE: 'UseDevelopmentStorage=true',
      TICKET_SYSTEM: 'jira',
      JIRA_BASE_URL: 'https://contoso.atlassian.net',
      JIRA_API_TOKEN: 'secret-token-value',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=nope',
    });
    expect(error.code).toBe('CONFIG.INVALID');
    expect(error.options.problems!.map((problem) => problem.setting).sort()).toEqual([
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'AUTOMATION_ACCOUNT',
      'AUTOMATION_RESOURCE_GROUP',
      'AUTOMATION_SUBSCRIPTION_ID',
      'JIRA_EMAIL',
      'JIRA_PROJECT_KEY',
    ]);
    for (const problem of error.options.problems!) expect(error.message).toContain(problem.message);
    expect(error.message).not.toContain('secret-token-value');
  });

  test('when --mode overrides ACTION_MODE, then the sections that mode needs are required, without touching the environment', () => {
    const env = { STATE_STORAGE: 'UseDevelopmentStorage=true' };
    expect(loadConfig(env).actionMode).toBe('report');
    expect(() => loadConfig(env, { actionMode: 'ticket' })).toThrow(/TICKET_SYSTEM/);
    expect(env).toEqual({ STATE_STORAGE: 'UseDevelopmentStorage=true' });
  });

  test('when a national cloud is chosen, then its Graph and login hosts are used unless GRAPH_ENDPOINT overrides', () => {
    expect(loadConfig({ AZURE_CLOUD: 'AzureUSGovernmentDoD' })).toMatchObject({
      graphEndpoint: 'https://dod-graph.microsoft.us',
      authorityHost: 'https://login.microsoftonline.us',
    });
    expect(
      loadConfig({ AZURE_CLOUD: 'AzureChina', GRAPH_ENDPOINT: 'https://127.0.0.1:8443/' }).graphEndpoint,
    ).toBe('https://127.0.0.1:8443');
    // An override moves the requests, never the audience: Entra issues tokens only for the cloud's Graph.
    expect(
      loadConfig({ AZURE_CLOUD: 'AzureChina', GRAPH_ENDPOINT: 'https://127.0.0.1:8443/' }).graphAudience,
    ).toBe('https://microsoftgraph.chinacloudapi.cn');
  });

  test('when durations are written as 90m, 2h, 7d or PT10M, then they are all understood', () => {
    expect(loadConfig({ SCAN_LOOKBACK: '7d', SCAN_OVERLAP: 'PT10M' })).toMatchObject({
      lookbackMs: 7 * 86_400_000,
      overlapMs: 600_000,
    });
    expect(loadConfig({ SCAN_LOOKBACK: '2h', SCAN_OVERLAP: '90m' })).toMatchObject({
      lookbackMs: 7_200_000,
      overlapMs: 5_400_000,
    });
  });

  // Every setting, given a wrong value, must name itself, show the value and say what to do.
  test.each([
    ['AZURE_CLOUD', 'AzureMoon', 'must be one of AzurePublic'],
    ['GRAPH_ENDPOINT', 'http://graph.microsoft.com', 'https://'],
    ['GRAPH_ENDPOINT', 'https://graph.microsoft.com/v1.0', 'without a path'],
    ['TENANT_ID', 'contoso.onmicrosoft.com', 'GUID'],
    ['SCAN_LOOKBACK', 'yesterday', 'duration'],
    ['SCAN_LOOKBACK', '90d', 'up to 30d'],
    ['SCAN_OVERLAP', '-5m', 'written as a number and s, m, h or d'],
    ['SCAN_OVERLAP', '1m', 'from 5m to 1d'],
    ['AUDIT_REQUESTS_PER_10S', '0x5', 'whole number'],
    ['AUDIT_REQUESTS_PER_10S', '0', 'from 1 to 122'],
    ['AUDIT_REQUESTS_PER_10S', 'fast', 'whole number'],
    ['AUDIT_REQUESTS_PER_10S', '500', 'Graph allows 5 per 10 s per tenant'],
    ['FLEET_AUDIT_REQUESTS_PER_10S', '200', '122 audit-log requests per 10 s per app across all tenants'],
    ['FLEET_AUDIT_REQUESTS_PER_10S', '0', 'from 1 to 122'],
    ['FLEET_AUDIT_REQUESTS_PER_10S', '122', 'shared through STATE_STORAGE. Set STATE_STORAGE'],
    ['GRAPH_MAX_ATTEMPTS', '2.5', 'whole number'],
    ['SSPR_SIGNATURES', '/no/such/file.json', 'does not exist'],
    ['PII_MODE', 'sha1', 'plain or hash'],
    ['ACTION_MODE', 'fix-everything', 'report changes nothing'],
    ['REMEDIATION_METHOD', 'msol', 'runbook (Azure Automation, default) or graph'],
    ['TICKET_SYSTEM', 'bugzilla', 'servicenow, jira, azuredevops, github, webhook'],
    ['ALLOW_REVERTING_HARDENING', 'yes', 'true or false'],
    ['REMEDIATION_WAIT', '2 minutes', '(90s, 30m, 2h, 1d)'],
    ['REMEDIATION_WAIT', 'forever', 'up to 30m'],
    ['VERIFY_FOR', '0m', 'positive duration up to 1d'],
    ['TENANT_LEASE_SECONDS', '5', 'from 15 to 60'],
  ])('when %s=%s, then the error names the setting, its value and the fix', (name, value, fix) => {
    const error = configError({ [name]: value });
    expect(error.code).toBe('CONFIG.INVALID');
    expect(error.message).toContain(`${name}=${JSON.stringify(value)}`);
    expect(error.message).toContain(fix);
    // A limit reads as people write durations (30m, 1d), never as a fraction of a day.
    expect(error.message).not.toMatch(/\d\.\d+ days/);
  });

  test.each([
    'not-a-connection-string',
    'AccountName=acct;AccountKey=',
    'DefaultEndpointsProtocol=https;AccountName=acct;AcountKey=c2VjcmV0LWtleQ==',
    'https://acct.table.core.windows.net/?sv=2024&sig=c2VjcmV0LWtleQ',
  ])('when STATE_STORAGE is malformed (%s), then it is rejected without echoing a possible key', (value) => {
    const error = configError({ STATE_STORAGE: value });
    expect(error.message).toContain('STATE_STORAGE=(value hidden');
    expect(error.message).toContain('connection string');
    expect(error.message).not.toContain('c2VjcmV0LWtleQ');
  });

  test('when FLEET_AUDIT_REQUESTS_PER_10S is unset, then there is no shared budget; set with STATE_STORAGE, it is read', () => {
    expect(loadConfig({}).fleetAuditRequestsPer10s).toBeUndefined();
    expect(
      loadConfig({ FLEET_AUDIT_REQUESTS_PER_10S: '122', STATE_STORAGE: 'UseDevelopmentStorage=true' })
        .fleetAuditRequestsPer10s,
    ).toBe(122);
  });

  test('when several settings are wrong, then every one is listed at once', () => {
    const error = configError({ AZURE_CLOUD: 'x', TENANT_ID: 'y', PII_MODE: 'z' });
    expect(error.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(3);
  });

  test('when nothing about actions is set, then the mode is report: no ticket, no fix, nothing reverted', () => {
    expect(loadConfig({})).toMatchObject({
      actionMode: 'report',
      remediationMethod: 'runbook',
      allowRevertingHardening: false,
      verifyForMs: 3_600_000,
    });
  });

  test('when a mode that acts is chosen without state or a ticket system, then both are named', () => {
    const error = configError({ ACTION_MODE: 'remediate' });
    expect(error.message).toContain(
      'ACTION_MODE="remediate": tickets and fixes must happen exactly once, which needs STATE_STORAGE',
    );
    expect(error.message).toContain('Set TICKET_SYSTEM to one of');
  });

  test('when the overlap is not shorter than the lookback, then that is an error', () => {
    expect(configError({ SCAN_LOOKBACK: '1h', SCAN_OVERLAP: '2h' }).message).toContain(
      'SCAN_OVERLAP must be shorter than SCAN_LOOKBACK',
    );
  });

  test('when SSPR_SIGNATURES points at a valid rule file, then its rules are loaded; a bad file is named with the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigs-'));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify([
        { id: 'ours', effect: 'failure', code: 'SSPR_0009', reasonContains: ['admin reset is off'] },
      ]),
    );
    expect(loadConfig({ SSPR_SIGNATURES: good }).extraSignatures).toHaveLength(1);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 'ours', effect: 'maybe', reasonContains: ['x'] }]));
    expect(configError({ SSPR_SIGNATURES: bad }).message).toMatch(
      /SSPR_SIGNATURES=.*bad\.json.*rule 0\.effect is invalid/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{');
    expect(configError({ SSPR_SIGNATURES: broken }).message).toContain('not valid JSON');
  });

  test('when storage is given as a connection string, Azurite shortcut or https endpoint, then each is accepted', () => {
    for (const value of [
      'UseDevelopmentStorage=true',
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      'https://acct.table.core.windows.net',
    ]) {
      expect(loadConfig({ STATE_STORAGE: value }).stateStorage).toBe(value);
    }
  });
  test("when KEY_VAULT_URI is set, then tokens are asked for the cloud's Key Vault resource, never the vault's own origin", () => {
    expect(loadConfig({}).keyVault).toBeUndefined();
    expect(loadConfig({ KEY_VAULT_URI: 'https://kv-contoso.vault.azure.net' }).keyVault).toEqual({
      vaultUri: 'https://kv-contoso.vault.azure.net/',
      audience: 'https://vault.azure.net',
    });
    const audience = (cloud: string) =>
      loadConfig({ AZURE_CLOUD: cloud, KEY_VAULT_URI: 'https://127.0.0.1:8443/' }).keyVault?.audience;
    expect(audience('AzureUSGovernment')).toBe('https://vault.usgovcloudapi.net');
    expect(audience('AzureUSGovernmentDoD')).toBe('https://vault.usgovcloudapi.net');
    expect(audience('AzureChina')).toBe('https://vault.azure.cn');
  });

  test('when KEY_VAULT_URI is not a vault address over https, then CONFIG.INVALID names it', () => {
    for (const value of [
      'http://kv-contoso.vault.azure.net/',
      'https://kv-contoso.vault.azure.net/secrets/hook',
      'https://kv-contoso.vault.azure.net/?x=1',
      'kv-contoso',
    ]) {
      const error = configError({ KEY_VAULT_URI: value });
      expect(error.options.problems!.map((problem) => problem.setting)).toEqual(['KEY_VAULT_URI']);
    }
  });
});
