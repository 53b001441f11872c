import fs from 'node:fs';
import path from 'node:path';
import {
  EVENT_NAMES,
  EVENTS,
  MEASUREMENT_NAMES,
  METRIC_NAMES,
  PROPERTY_NAMES,
} from '../../src/core/telemetryVocabulary';
import { checkNames, namesUsed, workbookQueries, type Vocabulary } from './lib/telemetryNames';

/**
 * The workbook and the alert queries use only names the app emits: src/core/telemetryVocabulary.ts is the
 * one source of truth for event, metric, property (customDimensions) and measurement names.
 */
const ROOT = path.join(__dirname, '../..');
const ALERTS = path.join(ROOT, 'infra/alerts');
const vocabulary: Vocabulary = {
  events: EVENT_NAMES,
  metrics: METRIC_NAMES,
  properties: PROPERTY_NAMES,
  measurements: MEASUREMENT_NAMES,
};

const workbook = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'infra/workbook/sspr-workbook.json'), 'utf8'),
) as unknown;
const queries = [
  ...workbookQueries(workbook).map(({ title, query }) => ({ where: `workbook "${title}"`, query })),
  ...fs
    .readdirSync(ALERTS)
    .filter((file) => file.endsWith('.kql'))
    .map((file) => ({
      where: `infra/alerts/${file}`,
      query: fs.readFileSync(path.join(ALERTS, file), 'utf8'),
    })),
];
const alert = (file: string) => fs.readFileSync(path.join(ALERTS, file), 'utf8');

describe('telemetry names: workbook and alerts against src/core/telemetryVocabulary.ts', () => {
  test('when the workbook is read, then it has the seven panels the operators need', () => {
    expect(workbookQueries(workbook).map((q) => q.title)).toEqual([
      'Scan health: last successful scan per tenant',
      'SSPR failures over time',
      'Confirmed administrators per tenant',
      'Incidents by state',
      'Time to resolution',
      'Remediation outcomes',
      'Graph throttling (429 answers per scan)',
    ]);
  });

  test.each(queries)(
    'when $where is checked, then every event, property and measurement name is in the vocabulary',
    ({ where, query }) => {
      const used = namesUsed(query);
      expect(used.events.length).toBeGreaterThan(0);
      expect(checkNames(where, query, vocabulary)).toEqual([]);
    },
  );

  test('when the alerts are read, then they cover a confirmed incident, a failed fix or verification, scan failures and missing scans', () => {
    expect(namesUsed(alert('incident-opened.kql')).events).toEqual(['IncidentOpened']);
    expect(namesUsed(alert('remediation-failed.kql')).events.sort()).toEqual([
      'RemediationFailed',
      'VerificationFailed',
    ]);
    expect(namesUsed(alert('scan-failed.kql')).events.sort()).toEqual(['ScanFailed', 'ScanPoisoned']);
    expect(namesUsed(alert('scan-missing.kql')).events).toEqual(['ScanCompleted']);
    // Every alert splits by tenant, so its query must return tenantId.
    for (const file of [
      'incident-opened.kql',
      'remediation-failed.kql',
      'scan-failed.kql',
      'scan-missing.kql',
    ]) {
      expect(alert(file)).toMatch(/\btenantId\b/);
    }
  });

  test('when the workbook reads measurements, then each is one its event carries (not just any known measurement)', () => {
    for (const { query } of workbookQueries(workbook)) {
      const used = namesUsed(query);
      const carried = new Set(
        used.events.flatMap(
          (name) => (EVENTS[name as keyof typeof EVENTS]?.measurements ?? []) as readonly string[],
        ),
      );
      for (const measurement of used.measurements) expect(carried).toContain(measurement);
    }
  });

  test('when the poisoned-scan log line is matched, then it is the prefix src/usecases/scanPoisoned.ts writes', () => {
    const scanAlerts = fs.readFileSync(path.join(ROOT, 'src/usecases/scanPoisoned.ts'), 'utf8');
    const prefix = /export const SCAN_POISONED = '([^']+)'/.exec(scanAlerts)?.[1];
    expect(prefix).toBe('ScanPoisoned');
    expect(alert('scan-failed.kql')).toContain(`message startswith "${prefix} "`);
  });
});

describe('telemetry names: the check fails when a name is removed on one side', () => {
  const query = alert('remediation-failed.kql');

  test('when the vocabulary loses an event the alert queries, then the check names that event', () => {
    const broken = {
      ...vocabulary,
      events: vocabulary.events.filter((name) => name !== 'VerificationFailed'),
    };
    expect(checkNames('remediation-failed.kql', query, broken)).toEqual([
      'remediation-failed.kql: event "VerificationFailed" is not in src/core/telemetryVocabulary.ts EVENTS or METRICS.',
    ]);
  });

  test('when the vocabulary loses a property, then the check names customDimensions.<property>', () => {
    const broken = { ...vocabulary, properties: vocabulary.properties.filter((name) => name !== 'jobName') };
    expect(checkNames('remediation-failed.kql', query, broken)).toEqual([
      'remediation-failed.kql: customDimensions.jobName is not in PROPERTY_NAMES.',
    ]);
  });

  test('when a workbook query misspells an event or a measurement, then the check names them', () => {
    const misspelt = workbookQueries(workbook)
      .find((q) => q.title === 'SSPR failures over time')!
      .query.replace('"ScanCompleted"', '"ScanComplete"')
      .replace('customMeasurements.failures', 'customMeasurements.failureCount');
    expect(checkNames('workbook', misspelt, vocabulary)).toEqual([
      'workbook: event "ScanComplete" is not in src/core/telemetryVocabulary.ts EVENTS or METRICS.',
      'workbook: customMeasurements.failureCount is not in MEASUREMENT_NAMES.',
    ]);
  });

  test('when a query matches names loosely (has, startswith), then the check refuses it: only exact names can be verified', () => {
    expect(checkNames('q', 'customEvents | where name has "Scan"', vocabulary)).toEqual([
      'q: "name has" cannot be checked against the vocabulary; compare names exactly (==, in).',
    ]);
  });

  test('when a name only appears in a comment, then it is not counted as used', () => {
    expect(namesUsed('// name == "Nope"\ncustomEvents | where name == "ScanFailed"').events).toEqual([
      'ScanFailed',
    ]);
  });
});
