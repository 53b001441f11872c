import { createHash } from 'node:crypto';
import {
  hashUpn,
  isUpnName,
  looksSecret,
  scrubMeasurements,
  scrubProperties,
} from '../../../src/adapters/telemetry/scrub';
import { isSecretName, secretsFromEnv } from '../../../src/core/secretNames';
import { MEASUREMENT_NAMES, PROPERTY_NAMES } from '../../../src/core/telemetryVocabulary';

const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const OTHER_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('hashUpn', () => {
  test('when a UPN is hashed, then it is the first 16 hex digits of SHA-256 over "<tenant>:<upn>", lower-cased', () => {
    const expected = createHash('sha256').update(`${TENANT}:admin@contoso.com`).digest('hex').slice(0, 16);
    expect(hashUpn('Admin@Contoso.com ', TENANT.toUpperCase())).toBe(`sha256:${expected}`);
  });

  test('when the same UPN is hashed for two tenants, then the hashes differ (salted by tenant)', () => {
    expect(hashUpn('admin@contoso.com', TENANT)).not.toBe(hashUpn('admin@contoso.com', OTHER_TENANT));
  });

  test('when the same person is hashed twice in one tenant, then the hash is stable, so distinct admins can be counted', () => {
    expect(hashUpn('admin@contoso.com', TENANT)).toBe(hashUpn('ADMIN@contoso.com', TENANT));
    expect(hashUpn('admin@contoso.com', TENANT)).not.toBe(hashUpn('other@contoso.com', TENANT));
  });
});

describe('scrubProperties', () => {
  const hash = { piiMode: 'hash' as const, knownSecrets: [], tenantId: TENANT };
  const plain = { piiMode: 'plain' as const, knownSecrets: [], tenantId: TENANT };

  test('when PII_MODE=hash, then userPrincipalName, upn and …Upn properties are hashed and nothing else is', () => {
    const out = scrubProperties(
      {
        userPrincipalName: 'a@contoso.com',
        upn: 'b@contoso.com',
        approverUpn: 'c@contoso.com',
        tenantId: TENANT,
        cause: 'SSPR_009',
      },
      hash,
    );
    expect(out).toEqual({
      userPrincipalName: hashUpn('a@contoso.com', TENANT),
      upn: hashUpn('b@contoso.com', TENANT),
      approverUpn: hashUpn('c@contoso.com', TENANT),
      tenantId: TENANT,
      cause: 'SSPR_009',
    });
  });

  test('when PII_MODE=plain, then UPNs are sent as they are', () => {
    expect(scrubProperties({ userPrincipalName: 'a@contoso.com' }, plain)).toEqual({
      userPrincipalName: 'a@contoso.com',
    });
  });

  test.each([
    'clientSecret',
    'client_secret',
    'accessToken',
    'password',
    'apiKey',
    'x-api-key',
    'signature',
    'Authorization',
    'connectionString',
    'STORAGE_CONNECTION_STRING',
  ])('when a property is named %s, then it is dropped whatever its value', (name) => {
    expect(scrubProperties({ [name]: 'harmless', code: 'X' }, plain)).toEqual({ code: 'X' });
  });

  test('when a value contains a known secret, then the property is dropped', () => {
    const out = scrubProperties(
      { note: 'jira said: bad creds hunter2-long-secret', code: 'X' },
      { ...plain, knownSecrets: ['hunter2-long-secret'] },
    );
    expect(out).toEqual({ code: 'X' });
  });

  test('when a known secret is shorter than 8 characters, then it is ignored (it would match everything)', () => {
    expect(scrubProperties({ enabled: 'true' }, { ...plain, knownSecrets: ['true'] })).toEqual({
      enabled: 'true',
    });
  });

  test.each([
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2ln'],
    ['a bearer header', 'Bearer abcdefghijklmnop'],
    ['a basic header', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['a storage connection string', 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc=='],
    [
      'an Application Insights connection string',
      'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/',
    ],
    ['a SAS URL', 'https://x.blob.core.windows.net/c?sv=2022&sig=abcdefghijkl%3D'],
  ])('when a value looks like %s, then the property is dropped', (_label, value) => {
    expect(looksSecret(value)).toBe(true);
    expect(scrubProperties({ detail: value }, plain)).toEqual({});
  });

  test('when values are numbers, booleans, null or undefined, then numbers and booleans become strings and the rest is dropped', () => {
    expect(scrubProperties({ a: 1, b: false, c: null, d: undefined }, plain)).toEqual({ a: '1', b: 'false' });
  });

  test('when a property is in the vocabulary, then its name is never taken for a secret or a UPN it is not', () => {
    expect(PROPERTY_NAMES.filter(isSecretName)).toEqual([]);
    expect(MEASUREMENT_NAMES.filter(isSecretName)).toEqual([]);
    expect(PROPERTY_NAMES.filter(isUpnName).sort()).toEqual(['approverUpn', 'disabledByUpn']);
  });
});

describe('scrubMeasurements', () => {
  test('when measurements are not finite numbers or have secret names, then they are dropped', () => {
    expect(
      scrubMeasurements({
        eventsRead: 3,
        failures: Number.NaN,
        durationMs: Infinity,
        tokenCount: 2,
        confirmed: 0,
      }),
    ).toEqual({ eventsRead: 3, confirmed: 0 });
  });
});

describe('secretsFromEnv', () => {
  test('when settings are named like secrets, then their values are known secrets, and other or short values are not', () => {
    const secrets = secretsFromEnv({
      JIRA_API_TOKEN: 'jira-token-value-1',
      SERVICENOW_PASSWORD: 'servicenow-pass-1',
      IDENTITY_HEADER: 'identity-header-value',
      STATE_STORAGE: 'UseDevelopmentStorage=true',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x;IngestionEndpoint=https://x/',
      GITHUB_TOKEN: 'short',
      TENANT_ID: TENANT,
      ACTION_MODE: 'remediate',
    });
    expect(secrets.sort()).toEqual(
      [
        'jira-token-value-1',
        'servicenow-pass-1',
        'identity-header-value',
        'UseDevelopmentStorage=true',
        'InstrumentationKey=x;IngestionEndpoint=https://x/',
      ].sort(),
    );
  });
});
