import path from 'node:path';
import { readBicep } from './lib/bicep';
import { basicPublishingPolicies } from './lib/hardening';
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


