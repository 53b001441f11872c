import path from 'node:path';
import { readBicep } from './lib/bicep';
import { activityLogAlerts, basicPublishingPolicies, moduleSetting } from './lib/hardening';
import { scan } from './lib/source';

/**
 * Issue 11, finding 7: who can make the deployment write. Read from the templates as written (CI on
 * GitHub compiles them); each check is also run against a copy with the hardening taken out.
 */
const INFRA = path.join(__dirname, '../../infra');
const read = (file: string) => readBicep(path.join(INFRA, file));
const fromText = (file: string, text: string) => ({ ...scan(text, 'bicep'), file, text, syntaxProblems: [] });

describe('hardening: publishing', () => {
  test('when the Function App is declared, then FTP and SCM basic-auth publishing are both switched off', () => {
    const api = read('app/api.bicep');
    expect(basicPublishingPolicies(api).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'ftp', allow: 'false' },
      { name: 'scm', allow: 'false' },
    ]);
  });

  test('when a policy allows basic auth or is commented out, then the reading shows it', () => {
    const api = read('app/api.bicep');
    const allowed = fromText(api.file, api.text.replace(/name: 'scm'\n(\s*)allow: false/, "name: 'scm'\n$1allow: true"));
    expect(basicPublishingPolicies(allowed)).toContainEqual({ name: 'scm', allow: 'true' });
    const plain = fromText(api.file, "resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {\n  parent: site\n  name: 'ftp'\n  properties: {\n    allow: false\n  }\n}\n// basicPublishingCredentialsPolicies: [ { name: 'scm', allow: false } ]\n");
    expect(basicPublishingPolicies(plain)).toEqual([{ name: 'ftp', allow: 'false' }]);
  });
});



describe('hardening: Key Vault', () => {
  test('when the vault is declared, then soft delete and purge protection are on', () => {
    const vault = read('app/keyvault.bicep');
    expect(moduleSetting(vault, 'vault', 'enableSoftDelete')).toBe('true');
    expect(moduleSetting(vault, 'vault', 'enablePurgeProtection')).toBe('true');
  });

  test('when purge protection is switched off or only mentioned in a comment, then the reading shows it', () => {
    const vault = read('app/keyvault.bicep');
    const off = fromText(vault.file, vault.text.replace('enablePurgeProtection: true', 'enablePurgeProtection: false'));
    expect(moduleSetting(off, 'vault', 'enablePurgeProtection')).toBe('false');
    const commented = fromText(vault.file, vault.text.replace('enablePurgeProtection: true', '// enablePurgeProtection: true'));
    expect(moduleSetting(commented, 'vault', 'enablePurgeProtection')).toBeUndefined();
  });
});

describe('hardening: the activity-log alert on writes that can change what writes to the tenant', () => {
  const WATCHED = [
    'Microsoft.Automation/automationAccounts/write',
    'Microsoft.Automation/automationAccounts/runbooks/write',
    'Microsoft.Automation/automationAccounts/runbooks/draft/write',
    'Microsoft.Automation/automationAccounts/runbooks/publish/action',
    'Microsoft.Authorization/roleAssignments/write',
    'Microsoft.Authorization/roleAssignments/delete',
    'Microsoft.Web/sites/write',
    'Microsoft.Web/sites/config/write',
  ];

  test('when the alerts are declared, then one activity-log alert (global) on the resource group watches the runbook, the account, the app and role assignments, and notifies the action group', () => {
    const alerts = read('app/alerts.bicep');
    const found = activityLogAlerts(alerts);
    expect(found).toHaveLength(1);
    const [alert] = found;
    expect(alert.location).toBe('global');
    expect(alert.scopes).toMatch(/resourceGroup\(\)\.id/);
    expect(alert.category).toBe('Administrative');
    expect(alert.operationNames).toEqual(expect.arrayContaining(WATCHED));
    expect(new Set(alert.operationNames).size).toBe(alert.operationNames.length);
    // The same action group the log alerts use (an existing one, or the one made for alertEmail).
    expect(alert.actionGroups).toMatch(/\bactionGroupIds\b/);
    expect(alerts.text).toMatch(/^var actionGroupIds = /m);
  });

  test('when a watched operation is dropped or commented out, then the reading misses it', () => {
    const alerts = read('app/alerts.bicep');
    const dropped = fromText(alerts.file, alerts.text.replace("equals: 'Microsoft.Automation/automationAccounts/runbooks/draft/write'", "// equals: 'Microsoft.Automation/automationAccounts/runbooks/draft/write'"));
    expect(activityLogAlerts(dropped)[0].operationNames).not.toContain('Microsoft.Automation/automationAccounts/runbooks/draft/write');
    expect(activityLogAlerts(fromText(alerts.file, "// resource a 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {}\n"))).toEqual([]);
  });
});
