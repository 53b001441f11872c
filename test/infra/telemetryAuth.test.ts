import fs from 'node:fs';
import path from 'node:path';
import { paramDefault, readBicep } from './lib/bicep';
import { sourceFiles } from './lib/settings';

/**
 * Application Insights is deployed with local (instrumentation key) authentication disabled, as the
 * issue asks. Then only Entra-authenticated telemetry is accepted: the Functions host authenticates
 * through APPLICATIONINSIGHTS_AUTHENTICATION_STRING, but the app's own applicationinsights 3.x
 * TelemetryClient must be given a credential (`config.aadTokenCredential`), or its custom events, which
 * feed the workbook and the event alerts, are refused at ingestion.
 */
const ROOT = path.join(__dirname, '../..');

function telemetryAuthProblems(localAuthDisabled: boolean, telemetrySources: string[]): string[] {
  if (!localAuthDisabled) return [];
  const usesEntra = telemetrySources.some((text) =>
    /\baadTokenCredential\b|azureMonitorExporterOptions[\s\S]{0,200}\bcredential\b/.test(text),
  );
  return usesEntra
    ? []
    : [
        'Application Insights has local auth disabled (infra/main.bicep appInsightsDisableLocalAuth), but src/adapters/telemetry never gives the TelemetryClient an Entra credential (config.aadTokenCredential): its custom events will be refused. Give it the managed identity credential, or deploy with APPINSIGHTS_DISABLE_LOCAL_AUTH=false.',
      ];
}

const localAuthDisabled =
  paramDefault(readBicep(path.join(ROOT, 'infra/main.bicep')), 'appInsightsDisableLocalAuth') === 'true';
const telemetrySources = sourceFiles(path.join(ROOT, 'src/adapters/telemetry')).map((file) =>
  fs.readFileSync(file, 'utf8'),
);

describe('telemetry authentication: the deployment and the telemetry client', () => {
  test('when local auth is disabled and the client is given an Entra credential, then nothing is reported', () => {
    expect(telemetryAuthProblems(true, ['client.config.aadTokenCredential = credential;'])).toEqual([]);
  });

  test('when local auth is disabled and the client has no credential, then the check reports that events will be refused', () => {
    expect(telemetryAuthProblems(true, ['const client = new Client(connectionString);'])).toEqual([
      expect.stringMatching(/custom events will be refused/),
    ]);
  });

  test('when local auth is allowed, then any client works', () => {
    expect(telemetryAuthProblems(false, [''])).toEqual([]);
  });

  test("when the deployment disables local auth, then the app's telemetry client authenticates with Entra", () => {
    expect(localAuthDisabled).toBe(true);
    expect(telemetryAuthProblems(localAuthDisabled, telemetrySources)).toEqual([]);
  });
});
