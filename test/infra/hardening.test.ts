import fs from 'node:fs';
import path from 'node:path';
import { moduleReferences, paramDefault, readBicep } from './lib/bicep';
import { activityLogAlerts, basicPublishingPolicies, moduleCondition, moduleSetting } from './lib/hardening';
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
    const allowed = fromText(
      api.file,
      api.text.replace(/name: 'scm'\n(\s*)allow: false/, "name: 'scm'\n$1allow: true"),
    );
    expect(basicPublishingPolicies(allowed)).toContainEqual({ name: 'scm', allow: 'true' });
    const plain = fromText(
      api.file,
      "resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {\n  parent: site\n  name: 'ftp'\n  properties: {\n    allow: false\n  }\n}\n// basicPublishingCredentialsPolicies: [ { name: 'scm', allow: false } ]\n",
    );
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
    const off = fromText(
      vault.file,
      vault.text.replace('enablePurgeProtection: true', 'enablePurgeProtection: false'),
    );
    expect(moduleSetting(off, 'vault', 'enablePurgeProtection')).toBe('false');
    const commented = fromText(
      vault.file,
      vault.text.replace('enablePurgeProtection: true', '// enablePurgeProtection: true'),
    );
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
    const dropped = fromText(
      alerts.file,
      alerts.text.replace(
        "equals: 'Microsoft.Automation/automationAccounts/runbooks/draft/write'",
        "// equals: 'Microsoft.Automation/automationAccounts/runbooks/draft/write'",
      ),
    );
    expect(activityLogAlerts(dropped)[0].operationNames).not.toContain(
      'Microsoft.Automation/automationAccounts/runbooks/draft/write',
    );
    expect(
      activityLogAlerts(
        fromText(alerts.file, "// resource a 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {}\n"),
      ),
    ).toEqual([]);
  });
});

describe('hardening: opt-in private networking', () => {
  const main = () => read('main.bicep');

  /** Lines of main.bicep outside the blocks of the given modules that use `network`'s outputs. */
  function networkUsesOutside(bicep: ReturnType<typeof read>, gated: string[]): string[] {
    const lines = bicep.text.split('\n');
    const inside = new Set<number>();
    for (const symbol of gated) {
      const start = lines.findIndex((line) => new RegExp(`^module\\s+${symbol}\\s`).test(line));
      for (let i = start; i >= 0 && i < lines.length; i++) {
        inside.add(i);
        if (lines[i] === '}') break;
      }
    }
    return lines.filter((line, i) => !inside.has(i) && /\bnetwork!?\.outputs\./.test(line));
  }

  test('when main.bicep is read, then privateNetworking defaults to false, azd passes it, and it gates the network and private-endpoint modules', () => {
    expect(paramDefault(main(), 'privateNetworking')).toBe('false');
    const parameters = JSON.parse(fs.readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8'));
    expect(parameters.parameters.privateNetworking).toEqual({ value: '${PRIVATE_NETWORKING=false}' });
    const modules = moduleReferences(main());
    expect(modules.find((m) => m.symbol === 'network')?.source).toBe('app/network.bicep');
    expect(modules.find((m) => m.symbol === 'privateEndpoints')?.source).toBe('app/private-endpoints.bicep');
    expect(moduleCondition(main(), 'network')).toBe('privateNetworking');
    expect(moduleCondition(main(), 'privateEndpoints')).toBe('privateNetworking');
  });

  test('when privateNetworking is false, then nothing else changes: every other use of the network is behind it, and public access stays Enabled', () => {
    const bicep = main();
    expect(networkUsesOutside(bicep, ['privateEndpoints'])).toEqual([
      "    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''",
    ]);
    expect(bicep.text).toMatch(/^var publicNetworkAccess = privateNetworking \? 'Disabled' : 'Enabled'$/m);
    for (const symbol of ['storage', 'keyVault', 'automation'])
      expect([symbol, moduleSetting(bicep, symbol, 'publicNetworkAccess')]).toEqual([
        symbol,
        'publicNetworkAccess',
      ]);
    for (const file of ['app/storage.bicep', 'app/keyvault.bicep', 'app/automation.bicep']) {
      expect([file, paramDefault(read(file), 'publicNetworkAccess')]).toEqual([file, "'Enabled'"]);
    }
    const api = read('app/api.bicep');
    expect(paramDefault(api, 'virtualNetworkSubnetId')).toBe("''");
    expect(moduleSetting(api, 'site', 'virtualNetworkSubnetId')).toBe(
      'empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId',
    );
  });

  test('when a network output is used outside the gate, or a module is ungated, then the checks show it', () => {
    const bicep = main();
    const leaked = fromText(
      bicep.file,
      bicep.text.replace(
        "virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''",
        'virtualNetworkSubnetId: network!.outputs.appSubnetId',
      ),
    );
    expect(networkUsesOutside(leaked, ['privateEndpoints'])).toEqual([
      '    virtualNetworkSubnetId: network!.outputs.appSubnetId',
    ]);
    const ungated = fromText(
      bicep.file,
      bicep.text.replace(
        "module network 'app/network.bicep' = if (privateNetworking) {",
        "module network 'app/network.bicep' = {",
      ),
    );
    expect(moduleCondition(ungated, 'network')).toBeUndefined();
  });

  test('when private networking is on, then the app subnet is delegated for Flex Consumption and storage (blob, queue, table) and Key Vault get endpoints in their private DNS zones', () => {
    const network = read('app/network.bicep');
    expect(network.text).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    for (const zone of ['privatelink.blob.', 'privatelink.queue.', 'privatelink.table.'])
      expect(network.text).toContain(`'${zone}\${environment().suffixes.storage}'`);
    expect(network.text).toContain('.vaultcore.');
    const endpoints = read('app/private-endpoints.bicep');
    expect([...endpoints.text.matchAll(/groupId: '(\w+)'/g)].map((m) => m[1])).toEqual([
      'blob',
      'queue',
      'table',
      'vault',
    ]);
    expect(endpoints.text).toMatch(/privateDnsZoneId: e\.zoneId/);
  });
});
