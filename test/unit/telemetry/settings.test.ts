import { AppError } from '../../../src/errors';
import { NoTelemetry, createTelemetry } from '../../../src/adapters/telemetry/telemetry';
import {
  appInsightsConnectionStringSchema,
  loadTelemetrySettings,
  maskConnectionString,
} from '../../../src/config/telemetry';

const KEY = '8c2d1e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f';
const GOOD = `InstrumentationKey=${KEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/`;

function settingsError(value: string): AppError {
  try {
    loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: value });
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected loadTelemetrySettings to throw');
}

describe('APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
  test('when it is a portal connection string, then it is accepted as it is', () => {
    expect(appInsightsConnectionStringSchema.parse(GOOD)).toBe(GOOD);
    expect(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: GOOD, PII_MODE: 'hash' })).toEqual({
      connectionString: GOOD,
      piiMode: 'hash',
      // The connection string is secret-named: no property that contains it is ever sent.
      knownSecrets: [GOOD],
    });
  });

  test('when APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for Entra, then the settings say so, with the identity it names', () => {
    const clientId = '0f0e0d0c-0b0a-4909-8807-060504030201';
    const base = { APPLICATIONINSIGHTS_CONNECTION_STRING: GOOD };
    expect(loadTelemetrySettings(base).entra).toBeUndefined();
    expect(
      loadTelemetrySettings({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' })
        .entra,
    ).toEqual({});
    expect(
      loadTelemetrySettings({
        ...base,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${clientId}`,
      }).entra,
    ).toEqual({ clientId });
  });

  test('when it is unset or blank, then telemetry is off (NoTelemetry)', () => {
    expect(appInsightsConnectionStringSchema.parse(undefined)).toBeUndefined();
    expect(appInsightsConnectionStringSchema.parse('  ')).toBeUndefined();
    expect(createTelemetry(loadTelemetrySettings({}))).toBeInstanceOf(NoTelemetry);
    expect(
      createTelemetry(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: '' })),
    ).toBeInstanceOf(NoTelemetry);
  });

  test.each([
    [`IngestionEndpoint=https://x.in.applicationinsights.azure.com/`, 'must contain InstrumentationKey'],
    [KEY, 'must contain InstrumentationKey'],
    [`InstrumentationKey=not-a-guid-${KEY};IngestionEndpoint=https://x/`, 'must be a GUID'],
    [`InstrumentationKey=${KEY}`, 'must contain IngestionEndpoint=https://'],
    [
      `InstrumentationKey=${KEY};IngestionEndpoint=http://x.in.applicationinsights.azure.com/`,
      'must be an https:// URL',
    ],
  ])('when it is %s, then it is CONFIG.INVALID saying %s, without the key in full', (value, says) => {
    const error = settingsError(value);
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('CONFIG.INVALID');
    expect(error.message).toContain(says);
    expect(error.message).toContain('APPLICATIONINSIGHTS_CONNECTION_STRING');
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(KEY.slice(4));
  });

  test('when zod reports the problem, then its issues do not carry the value', () => {
    const result = appInsightsConnectionStringSchema.safeParse(`InstrumentationKey=${KEY}`);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error)).not.toContain(KEY);
  });

  test('when a connection string is masked, then the endpoints stay and the key keeps 4 characters', () => {
    expect(maskConnectionString(GOOD)).toBe(
      'InstrumentationKey=8c2d…;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/',
    );
  });
});
