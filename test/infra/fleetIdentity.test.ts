import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkConfig, CLOUDS } from '../../src/config/config';
import { settingsSetByBicep } from './lib/settings';
import { readBicep, stringLiteral, varObject } from './lib/bicep';

/**
 * Identity across tenants (issue 15) in the deployment: the user-assigned identity, the app
 * registration (Graph Bicep extension, or the az script) and the settings that tie them to the app.
 * Bicep cannot be compiled here; these hold the files to the app and to each other.
 */
const ROOT = path.join(__dirname, '../..');
const read = (relative: string) => fs.readFileSync(path.join(ROOT, relative), 'utf8');
const manifest = JSON.parse(read('infra/graph-permissions.json')) as {
  resourceAppId: string;
  grants: Array<{ identity: string; permission: string; when?: Record<string, string[]> }>;
};
const main = readBicep(path.join(ROOT, 'infra/main.bicep'));
const fleetApp = read('infra/app/fleet-app.bicep');
const SCRIPT = path.join(ROOT, 'infra/scripts/fleet-app-registration.sh');

/** What the grant script grants the Function identity in a mode (the manifest's own rule). */
const functionPermissions = (actionMode: string, remediationMethod: string) =>
  manifest.grants
    .filter((grant) => grant.identity === 'function')
    .filter((grant) =>
      Object.entries(grant.when ?? {}).every(([key, values]) =>
        values.includes(({ actionMode, remediationMethod } as Record<string, string>)[key]),
      ),
    )
    .map((grant) => grant.permission);

function dryRun(actionMode: string, remediationMethod: string, loginHost: string = CLOUDS.AzurePublic.login) {
  const run = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      DRY_RUN: 'true',
      ACTION_MODE: actionMode,
      REMEDIATION_METHOD: remediationMethod,
      LOGIN_HOST: loginHost,
      HOME_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      FLEET_MANAGED_IDENTITY_PRINCIPAL_ID: '11111111-2222-4333-8444-555555555555',
    },
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout;
}

describe('identity across tenants: the deployment', () => {
  test("when main.bicep maps a cloud, then its token-exchange audience is the app's", () => {
    for (const [cloud, value] of varObject(main, 'cloudEndpoints').entries) {
      if (value.kind !== 'object') throw new Error(`${cloud} is not an object`);
      expect(stringLiteral(value.entries.get('tokenExchange'))).toBe(
        CLOUDS[cloud as keyof typeof CLOUDS].tokenExchange,
      );
    }
  });

  test("when the app registration is declared, then it is multi-tenant, its permissions are the manifest's Function grants, and it trusts the user-assigned identity", () => {
    expect(fleetApp).toMatch(/^extension microsoftGraphV1$/m);
    expect(JSON.parse(read('infra/bicepconfig.json')).extensions.microsoftGraphV1).toMatch(
      /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:/,
    );
    expect(fleetApp).toMatch(/resource app 'Microsoft\.Graph\/applications@v1\.0'/);
    expect(fleetApp).toMatch(/signInAudience: 'AzureADMultipleOrgs'/);
    // The permissions are the manifest itself, filtered as the grant script filters it.
    expect(fleetApp).toMatch(/loadJsonContent\('\.\.\/graph-permissions\.json'\)/);
    expect(fleetApp).toMatch(/grant\.identity == 'function'/);
    expect(fleetApp).toMatch(/contains\(grant\.when\.actionMode, context\.actionMode\)/);
    expect(fleetApp).toMatch(/contains\(grant\.when\.remediationMethod, context\.remediationMethod\)/);
    expect(fleetApp).toMatch(/type: 'Role'/);
    // The federated credential: home tenant issuer, the identity's object id, the cloud's audience.
    expect(fleetApp).toMatch(/resource federated 'federatedIdentityCredentials@v1\.0'/);
    expect(fleetApp).toMatch(/issuer: '\$\{loginHost\}\/\$\{tenant\(\)\.tenantId\}\/v2\.0'/);
    expect(fleetApp).toMatch(/subject: managedIdentityPrincipalId/);
    expect(fleetApp).toMatch(/audiences: \[\s+tokenExchangeAudience\s+\]/);
    expect(main.text).toMatch(/managedIdentityPrincipalId: fleetIdentity\.outputs\.principalId/);
    expect(main.text).toMatch(/tokenExchangeAudience: endpoints\.tokenExchange/);
    expect(main.text).toMatch(/module fleetApp 'app\/fleet-app\.bicep' = if \(fleetAppRegistration\)/);
    expect(main.text).toMatch(/^param fleetAppRegistration bool = false$/m);
  });

  test("when the app settings are deployed, then FLEET_CLIENT_ID and the identity are set and pass the app's validation", () => {
    const set = settingsSetByBicep(readBicep(path.join(ROOT, 'infra/app/appsettings.bicep')));
    expect(set.map((s) => s.name)).toEqual(
      expect.arrayContaining(['FLEET_CLIENT_ID', 'FLEET_MANAGED_IDENTITY_CLIENT_ID']),
    );
    // With an app registration: managed identity by default, no secret. Without: nothing set, today's behaviour.
    expect(
      checkConfig({
        FLEET_CLIENT_ID: '00000000-0000-4000-8000-00000000f1ee',
        FLEET_MANAGED_IDENTITY_CLIENT_ID: '00000000-0000-4000-8000-0000000001d0',
      }).config?.fleet,
    ).toMatchObject({ kind: 'managed-identity' });
    expect(checkConfig({ FLEET_CLIENT_ID: '', FLEET_MANAGED_IDENTITY_CLIENT_ID: '' }).problems).toEqual([]);
    expect(read('infra/app/appsettings.bicep')).toMatch(
      /FLEET_MANAGED_IDENTITY_CLIENT_ID: empty\(fleetClientId\) \? '' : fleetIdentityClientId/,
    );
    expect(read('infra/app/api.bicep')).toMatch(/userAssignedResourceIds: \[\s+fleetIdentityResourceId\s+\]/);
  });

  test.each([
    ['report', 'runbook'],
    ['remediate', 'graph'],
  ])(
    "when the az script plans ACTION_MODE=%s REMEDIATION_METHOD=%s, then it asks for the Bicep app's permissions and trust",
    (actionMode, method) => {
      const out = dryRun(actionMode, method);
      expect(out).toMatch(/^app registration: sspr-remediator-fleet \(AzureADMultipleOrgs\)$/m);
      expect([...out.matchAll(/^permission: (\S+) \(application\)$/gm)].map((m) => m[1])).toEqual(
        functionPermissions(actionMode, method),
      );
      const credential = JSON.parse(/^federated credential: (.*)$/m.exec(out)![1]);
      expect(credential).toMatchObject({
        issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
        subject: '11111111-2222-4333-8444-555555555555',
        audiences: ['api://AzureADTokenExchange'],
      });
    },
  );

  test("when the az script targets a national cloud, then the audience is that cloud's token exchange", () => {
    for (const cloud of ['AzureUSGovernment', 'AzureChina'] as const) {
      const credential = JSON.parse(
        /^federated credential: (.*)$/m.exec(dryRun('report', 'runbook', CLOUDS[cloud].login))![1],
      );
      expect(credential.audiences).toEqual([CLOUDS[cloud].tokenExchange]);
    }
  });
});

describe('identity across tenants: consent after provisioning', () => {
  const CONSENT = path.join(ROOT, 'infra/scripts/print-consent-urls.sh');
  // By absolute path, so a test can take az off PATH.
  const bash = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
  const run = (env: Record<string, string>) =>
    spawnSync(bash, [CONSENT], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

  test("when FLEET_CLIENT_ID is set, then each tenant of TENANTS gets its admin-consent URL on the cloud's sign-in host", () => {
    const out = run({
      FLEET_CLIENT_ID: '00000000-0000-4000-8000-00000000f1ee',
      TENANTS: 'aaaaaaaa-0000-4000-8000-000000000001, bbbbbbbb-0000-4000-8000-000000000002',
      LOGIN_HOST: 'https://login.microsoftonline.us/',
    });
    expect(out.status).toBe(0);
    expect(out.stdout.match(/https:\S+/g)).toEqual([
      'https://login.microsoftonline.us/aaaaaaaa-0000-4000-8000-000000000001/adminconsent?client_id=00000000-0000-4000-8000-00000000f1ee',
      'https://login.microsoftonline.us/bbbbbbbb-0000-4000-8000-000000000002/adminconsent?client_id=00000000-0000-4000-8000-00000000f1ee',
    ]);
    expect(read('infra/scripts/postprovision.sh')).toMatch(/print-consent-urls\.sh/);
  });

  test('when FLEET_CLIENT_ID is not set, then nothing is printed and az is not asked', () => {
    const out = run({ TENANTS: 'aaaaaaaa-0000-4000-8000-000000000001', PATH: '/nonexistent' });
    expect([out.status, out.stdout, out.stderr]).toEqual([0, '', '']);
  });
});
