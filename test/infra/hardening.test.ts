import path from 'node:path';
import { readBicep } from './lib/bicep';
import { basicPublishingPolicies, moduleSetting } from './lib/hardening';
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
