import { fleetScenarios, startEmulator, type RunningEmulator } from '../../emulator';
import { emulatorEnv, fleetSignInEnv } from '../../src/local/emulatorEnv';
import { parseJson, runCli, runCliBatch } from '../helpers/cli';
import { assertNoSecrets } from '../helpers/secretHygiene';
import { emulatorSecretsIn } from '../../emulator/tokens';

/**
 * Issue 15: every scanned tenant signs in as one multi-tenant app registration, without a secret in
 * Azure. The real CLI scans an emulated customer tenant with each of the app's three credentials,
 * against an emulated sign-in host that is not Microsoft's (AZURE_AUTHORITY_HOST): MSAL must not ask
 * login.microsoftonline.com about it, or the scan fails before any token request.
 */
const [customer, unconsented] = fleetScenarios({ count: 2, seed: 'fleet-identity', confirmedEvery: 1 });

let emulator: RunningEmulator;
let misfederated: RunningEmulator;

beforeAll(async () => {
  [emulator, misfederated] = await Promise.all([
    startEmulator({
      scenario: 'policy-on',
      fleet: { tenants: [customer, unconsented], withoutConsent: [unconsented.tenantId] },
    }),
    // The app trusts some other identity than the one the Function App runs as.
    startEmulator({
      scenario: 'policy-on',
      fleet: { tenants: [customer], federatedSubject: '00000000-0000-4000-8000-0000000bad00' },
    }),
  ]);
});
afterAll(async () => {
  await Promise.allSettled([emulator?.stop(), misfederated?.stop()]);
});

async function scan(target: RunningEmulator, tenantId: string, kind: Parameters<typeof fleetSignInEnv>[1]) {
  const run = await runCli(
    ['scan', '--tenant', tenantId, '--json'],
    emulatorEnv(target, {
      ...fleetSignInEnv(target, kind),
      // Telemetry goes to the emulator's ingestion fake, where a leaked secret would show.
      APPLICATIONINSIGHTS_CONNECTION_STRING: target.telemetryConnectionString,
    }),
  );
  assertNoSecrets('the stderr of sspr-remediator scan', run.stderr);
  expect(run.stdout + run.stderr).not.toContain(target.fleet!.clientSecret);
  return run;
}

const tokenRequests = (target: RunningEmulator, tenantId: string) =>
  target.requests.filter((entry) => entry.path === `/${tenantId}/oauth2/v2.0/token`);

describe('identity across tenants (FLEET_CLIENT_ID)', () => {
  test.each(['managed-identity', 'certificate', 'secret'] as const)(
    'when the app signs in with FLEET_CREDENTIAL=%s, then the customer tenant is scanned and its incident found',
    async (kind) => {
      // Arrange
      const before = tokenRequests(emulator, customer.tenantId).length;

      // Act
      const run = await scan(emulator, customer.tenantId, kind);

      // Assert: the scan read the customer's tenant with a token from its own token endpoint.
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(run.stderr).not.toMatch(/error [A-Z]+\./);
      const result = parseJson(run);
      expect(result.tenantId).toBe(customer.tenantId);
      expect(result.findings.map((finding: { verdict: string }) => finding.verdict)).toContain('confirmed');
      expect(tokenRequests(emulator, customer.tenantId).length).toBeGreaterThan(before);
    },
  );

  test('when the app signs in with its managed identity, then the identity token asked for is for the token exchange', () => {
    const exchanges = emulator.requests.filter(
      (entry) => entry.path === '/msi/token' && entry.query.resource === 'api://AzureADTokenExchange',
    );
    expect(exchanges.length).toBeGreaterThan(0);
  });

  test('when the federated credential names another subject, then the scan fails with AUTH.NO_FEDERATION naming the fix', async () => {
    const run = await scan(misfederated, customer.tenantId, 'managed-identity');

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AUTH\.NO_FEDERATION/);
    expect(run.stderr).toContain('AADSTS700213');
    expect(run.stderr).toContain('api://AzureADTokenExchange');
  });

  test('when a tenant never consented to the app, then its scan fails with AUTH.NO_TOKEN and says consent is needed', async () => {
    const run = await scan(emulator, unconsented.tenantId, 'secret');

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AUTH\.NO_TOKEN/);
    expect(run.stderr).toContain('consent');
  });

  test('when scans signed in with the secret succeeded and failed, then telemetry carries no token or secret', () => {
    expect(emulator.telemetry.length).toBeGreaterThan(0);
    expect(JSON.stringify(emulator.telemetry)).toContain('ScanFailed');
    expect(emulatorSecretsIn(JSON.stringify(emulator.telemetry))).toEqual([]);
  });
});

describe('identity across tenants: settings', () => {
  const secret = 'EMULATOR-SECRET-never-printed-0123456789';
  const base = { PATH: process.env.PATH ?? '', TENANT_ID: customer.tenantId };
  const clientId = '00000000-0000-4000-8000-00000000f1ee';

  test.each([
    [
      'a certificate without its path',
      { FLEET_CLIENT_ID: clientId, FLEET_CREDENTIAL: 'certificate' },
      'FLEET_CLIENT_CERTIFICATE_PATH=""',
    ],
    [
      'a certificate path that does not exist',
      {
        FLEET_CLIENT_ID: clientId,
        FLEET_CREDENTIAL: 'certificate',
        FLEET_CLIENT_CERTIFICATE_PATH: '/nope.pem',
      },
      'FLEET_CLIENT_CERTIFICATE_PATH="/nope.pem": the file does not exist',
    ],
    [
      'a secret credential without the secret',
      { FLEET_CLIENT_ID: clientId, FLEET_CREDENTIAL: 'secret' },
      'FLEET_CLIENT_SECRET=""',
    ],
    [
      'a secret next to the managed identity',
      { FLEET_CLIENT_ID: clientId, FLEET_MANAGED_IDENTITY_CLIENT_ID: clientId, FLEET_CLIENT_SECRET: secret },
      'FLEET_CLIENT_SECRET is set, but FLEET_CREDENTIAL=managed-identity does not use it',
    ],
    [
      'the managed identity without its client id',
      { FLEET_CLIENT_ID: clientId },
      'FLEET_MANAGED_IDENTITY_CLIENT_ID=""',
    ],
    ['a client id that is no GUID', { FLEET_CLIENT_ID: 'my-app' }, 'FLEET_CLIENT_ID="my-app"'],
    [
      'an unknown credential kind',
      { FLEET_CLIENT_ID: clientId, FLEET_CREDENTIAL: 'password' },
      'FLEET_CREDENTIAL="password"',
    ],
    [
      'a fleet credential without FLEET_CLIENT_ID',
      { FLEET_CLIENT_SECRET: secret },
      'FLEET_CLIENT_SECRET is set but FLEET_CLIENT_ID is not',
    ],
    [
      'an authority host over http',
      { AZURE_AUTHORITY_HOST: 'http://login.example' },
      'AZURE_AUTHORITY_HOST="http://login.example"',
    ],
    [
      'an authority host with a path',
      { AZURE_AUTHORITY_HOST: 'https://login.example/tenant' },
      'AZURE_AUTHORITY_HOST="https://login.example/tenant"',
    ],
  ])(
    'when %s is configured, then the scan stops with CONFIG.INVALID naming the setting',
    async (_, env, named) => {
      const [run] = await runCliBatch([{ args: ['scan', '--json'], env: { ...base, ...env } }]);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain('CONFIG.INVALID');
      expect(run.stderr).toContain(named);
      expect(run.stdout + run.stderr).not.toContain(secret);
    },
  );
});
