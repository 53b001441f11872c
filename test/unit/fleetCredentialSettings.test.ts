import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { checkConfig, loadConfig } from '../../src/config/config';

/** FLEET_* and AZURE_AUTHORITY_HOST: each combination either loads or names the setting and the fix. */
const APP = '00000000-0000-4000-8000-00000000f1ee';
const IDENTITY = '00000000-0000-4000-8000-0000000001d0';
const problemsOf = (env: NodeJS.ProcessEnv) => checkConfig(env).problems.map((p) => p.message);

/** A PEM file with a real key and certificate, in the given order. */
async function pemFile(order: 'key-first' | 'certificate-first'): Promise<string> {
  const pems = await generate([{ name: 'commonName', value: 'fleet' }], { keyType: 'rsa', keySize: 1024 });
  const path = join(mkdtempSync(join(tmpdir(), 'fleet-pem-')), 'app.pem');
  writeFileSync(path, order === 'key-first' ? pems.private + pems.cert : pems.cert + pems.private);
  return path;
}

describe('fleet credential settings', () => {
  test('when FLEET_CLIENT_ID is unset, then there is no fleet credential and the cloud sign-in host is Microsoft’s', () => {
    expect(loadConfig({})).toMatchObject({
      fleet: undefined,
      authorityHost: 'https://login.microsoftonline.com',
      disableInstanceDiscovery: false,
    });
  });

  test('when only FLEET_CLIENT_ID and the identity are set, then the managed identity is the default, with the cloud’s token-exchange audience', () => {
    expect(loadConfig({ FLEET_CLIENT_ID: APP, FLEET_MANAGED_IDENTITY_CLIENT_ID: IDENTITY }).fleet).toEqual({
      clientId: APP,
      kind: 'managed-identity',
      managedIdentityClientId: IDENTITY,
      assertionScope: 'api://AzureADTokenExchange/.default',
    });
    expect(
      loadConfig({
        AZURE_CLOUD: 'AzureUSGovernment',
        FLEET_CLIENT_ID: APP,
        FLEET_MANAGED_IDENTITY_CLIENT_ID: IDENTITY,
      }).fleet,
    ).toMatchObject({ assertionScope: 'api://AzureADTokenExchangeUSGov/.default' });
  });

  test('when AZURE_AUTHORITY_HOST is another host, then it is used and instance discovery is off; a Microsoft host keeps it on', () => {
    expect(loadConfig({ AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8443/' })).toMatchObject({
      authorityHost: 'https://127.0.0.1:8443',
      disableInstanceDiscovery: true,
    });
    expect(loadConfig({ AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us' })).toMatchObject({
      disableInstanceDiscovery: false,
    });
  });

  test('when the certificate file has its key first, then it loads; certificate first, then the fix says so', async () => {
    const good = await pemFile('key-first');
    expect(
      loadConfig({
        FLEET_CLIENT_ID: APP,
        FLEET_CREDENTIAL: 'certificate',
        FLEET_CLIENT_CERTIFICATE_PATH: good,
      }).fleet,
    ).toEqual({ clientId: APP, kind: 'certificate', certificatePath: good });
    expect(
      problemsOf({
        FLEET_CLIENT_ID: APP,
        FLEET_CREDENTIAL: 'certificate',
        FLEET_CLIENT_CERTIFICATE_PATH: await pemFile('certificate-first'),
      }),
    ).toEqual([expect.stringContaining('the private key must come first')]);
  });

  test('when the secret is misplaced or malformed settings sit next to it, then no message shows its value', () => {
    const secret = 'sEcReT-value-0123456789';
    const messages = [
      ...problemsOf({
        FLEET_CLIENT_ID: APP,
        FLEET_MANAGED_IDENTITY_CLIENT_ID: IDENTITY,
        FLEET_CLIENT_SECRET: secret,
      }),
      ...problemsOf({ FLEET_CLIENT_ID: 'nope', FLEET_CREDENTIAL: 'secret', FLEET_CLIENT_SECRET: secret }),
      ...problemsOf({ FLEET_CLIENT_SECRET: secret }),
    ];
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) expect(message).not.toContain(secret);
    expect(
      loadConfig({ FLEET_CLIENT_ID: APP, FLEET_CREDENTIAL: 'secret', FLEET_CLIENT_SECRET: secret }).fleet,
    ).toEqual({ clientId: APP, kind: 'secret', clientSecret: secret });
  });

  test('when settings of another credential kind are set, then each is named as unused by the chosen kind', () => {
    expect(
      problemsOf({
        FLEET_CLIENT_ID: APP,
        FLEET_CREDENTIAL: 'secret',
        FLEET_CLIENT_SECRET: 'x'.repeat(12),
        FLEET_MANAGED_IDENTITY_CLIENT_ID: IDENTITY,
        FLEET_CLIENT_CERTIFICATE_PATH: '/a.pem',
      }),
    ).toEqual([
      expect.stringMatching(
        /^FLEET_MANAGED_IDENTITY_CLIENT_ID is set, but FLEET_CREDENTIAL=secret does not use it/,
      ),
      expect.stringMatching(
        /^FLEET_CLIENT_CERTIFICATE_PATH is set, but FLEET_CREDENTIAL=secret does not use it/,
      ),
    ]);
  });
});
