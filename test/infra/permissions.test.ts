import fs from 'node:fs';
import path from 'node:path';
import {
  comparePermissions,
  deployDocNeeds,
  manifestNeeds,
  manifestProblems,
  permissionsNamedIn,
  readmeNeeds,
  type Manifest,
  type PermissionNeed,
} from './lib/permissions';
import { sourceFiles } from './lib/settings';

/**
 * The Microsoft Graph permissions agree four ways: what the code calls needs, what the grant script grants
 * (infra/graph-permissions.json), the README "Permissions" tables and docs/DEPLOY.md.
 */
const ROOT = path.join(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

const manifest = JSON.parse(read('infra/graph-permissions.json')) as Manifest;
const readme = read('README.md');
const deployDoc = read('docs/DEPLOY.md');

/**
 * What the code needs: each Graph call names its permission (in the GRAPH.FORBIDDEN hint). The readers
 * in src/adapters/graph scan (always); the Graph remediator fixes directly (REMEDIATION_METHOD=graph); the
 * runbook fixes as the Automation account (REMEDIATION_METHOD=runbook).
 */
function codeNeeds(): PermissionNeed[] {
  // The Graph remediator lives with the other Graph adapters but needs its permission only for REMEDIATION_METHOD=graph.
  const scan = sourceFiles(path.join(ROOT, 'src/adapters/graph'))
    .filter((file) => !file.endsWith('graphRemediator.ts'))
    .flatMap((file) => permissionsNamedIn(fs.readFileSync(file, 'utf8')));
  const graphFix = permissionsNamedIn(read('src/adapters/graph/graphRemediator.ts'));
  const runbookFix = permissionsNamedIn(read('infra/runbooks/Enable-AdminSspr.ps1'));
  return [
    ...[...new Set(scan)].map((permission) => ({
      holder: 'function' as const,
      permission,
      condition: 'always' as const,
    })),
    ...graphFix.map((permission) => ({
      holder: 'function' as const,
      permission,
      condition: 'graph' as const,
    })),
    ...runbookFix.map((permission) => ({
      holder: 'runbook' as const,
      permission,
      condition: 'runbook' as const,
    })),
  ];
}

const sources = () => ({
  code: codeNeeds(),
  'infra/graph-permissions.json': manifestNeeds(manifest),
  'README.md Permissions': readmeNeeds(readme),
  'docs/DEPLOY.md': deployDocNeeds(deployDoc, '### Microsoft Graph application permissions'),
});

describe('Graph permissions: code, manifest, README and DEPLOY.md', () => {
  test('when each source is read, then the scan needs the four read permissions and the fix needs Policy.ReadWrite.Authorization', () => {
    const code = codeNeeds()
      .map((need) => `${need.holder} ${need.permission} ${need.condition}`)
      .sort();
    expect(code).toEqual([
      'function AuditLog.Read.All always',
      'function Policy.Read.All always',
      'function Policy.ReadWrite.Authorization graph',
      'function RoleManagement.Read.Directory always',
      'function User.Read.All always',
      'runbook Policy.ReadWrite.Authorization runbook',
    ]);
  });

  test('when the four lists are compared both ways, then they are the same', () => {
    expect(comparePermissions(sources())).toEqual([]);
  });

  test('when the manifest is checked, then it names Graph, known identities, a reason for each grant, and writes only in the fixing modes', () => {
    expect(manifestProblems(manifest)).toEqual([]);
  });

  test('when the grant script runs, then the identities it grants to are outputs of main.bicep', () => {
    const outputs = [...read('infra/main.bicep').matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1]);
    for (const identity of Object.values(manifest.identities))
      expect(outputs).toContain(identity.principalIdVariable);
  });

  test('when the Function identity needs Azure RBAC for the runbook, then Automation Job Operator is granted on the Automation account and nowhere else', () => {
    const bicepFiles = sourceFilesWithExt(path.join(ROOT, 'infra'), '.bicep');
    const withRole = bicepFiles.filter((file) =>
      fs.readFileSync(file, 'utf8').includes('4fe576fe-1146-4730-92eb-48519fa6bf9f'),
    );
    expect(withRole.map((file) => path.relative(ROOT, file))).toEqual(['infra/app/automation.bicep']);
    const automation = read('infra/app/automation.bicep');
    // Granted through the Automation account module's roleAssignments: scoped to that account.
    expect(automation).toMatch(
      /module account 'br\/public:avm\/res\/automation\/automation-account:[\d.]+'[\s\S]*roleAssignments:[\s\S]*roleDefinitionIdOrName: automationJobOperator/,
    );
    expect(readme).toMatch(
      /Automation Job Operator\*\* \(`4fe576fe-1146-4730-92eb-48519fa6bf9f`\) on the Automation account only/,
    );
  });
});

function sourceFilesWithExt(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFilesWithExt(full, ext) : entry.name.endsWith(ext) ? [full] : [];
  });
}

describe('Graph permissions: the comparison fails when one side loses a permission', () => {
  test('when the manifest loses User.Read.All, then the comparison says the code, README and DEPLOY.md have it and the manifest does not', () => {
    const broken: Manifest = {
      ...manifest,
      grants: manifest.grants.filter((grant) => grant.permission !== 'User.Read.All'),
    };
    expect(
      comparePermissions({ ...sources(), 'infra/graph-permissions.json': manifestNeeds(broken) }),
    ).toEqual([
      'function User.Read.All (always): in code, README.md Permissions, docs/DEPLOY.md but not in infra/graph-permissions.json.',
    ]);
  });

  test('when the README loses a row of its scan table, then the comparison names the README', () => {
    const broken = readme.replace(/^\| `RoleManagement\.Read\.Directory` \|.*\n/m, '');
    expect(broken).not.toEqual(readme);
    expect(comparePermissions({ ...sources(), 'README.md Permissions': readmeNeeds(broken) })).toEqual([
      'function RoleManagement.Read.Directory (always): in code, infra/graph-permissions.json, docs/DEPLOY.md but not in README.md Permissions.',
    ]);
  });

  test('when the manifest grants more than the code needs, then the comparison names the extra permission', () => {
    const broken: Manifest = {
      ...manifest,
      grants: [
        ...manifest.grants,
        { identity: 'function', permission: 'Directory.Read.All', reason: 'more than needed, for the test' },
      ],
    };
    expect(
      comparePermissions({ ...sources(), 'infra/graph-permissions.json': manifestNeeds(broken) }),
    ).toEqual([
      'function Directory.Read.All (always): in infra/graph-permissions.json but not in code, README.md Permissions, docs/DEPLOY.md.',
    ]);
  });

  test('when the fix permission moves to the wrong method, then the comparison sees a different condition', () => {
    const broken: Manifest = {
      ...manifest,
      grants: manifest.grants.map((grant) =>
        grant.identity === 'runbook'
          ? { ...grant, when: { actionMode: ['remediate'], remediationMethod: ['graph'] } }
          : grant,
      ),
    };
    const found = comparePermissions({ ...sources(), 'infra/graph-permissions.json': manifestNeeds(broken) });
    expect(found).toEqual([
      'runbook Policy.ReadWrite.Authorization (runbook): in code, README.md Permissions, docs/DEPLOY.md but not in infra/graph-permissions.json.',
      'runbook Policy.ReadWrite.Authorization (graph): in infra/graph-permissions.json but not in code, README.md Permissions, docs/DEPLOY.md.',
    ]);
  });

  test('when a write permission is granted outside the fixing modes, or without a reason, then the manifest check says so', () => {
    const broken: Manifest = {
      ...manifest,
      grants: manifest.grants.map((grant) =>
        grant.identity === 'runbook'
          ? { ...grant, when: { remediationMethod: ['runbook'] } }
          : grant.permission === 'Policy.Read.All'
            ? { ...grant, reason: '' }
            : grant,
      ),
    };
    expect(manifestProblems(broken)).toEqual([
      'function Policy.Read.All: says not why it is needed (reason).',
      'runbook Policy.ReadWrite.Authorization writes to the tenant but is not limited to ACTION_MODE remediate/approve.',
    ]);
  });
});
