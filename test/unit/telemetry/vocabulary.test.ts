import {
  CONTEXT_PROPERTIES,
  EVENTS,
  EVENT_NAMES,
  MEASUREMENT_NAMES,
  METRIC_NAMES,
  PROPERTY_NAMES,
} from '../../../src/core/telemetryVocabulary';

describe('telemetry vocabulary', () => {
  test('when the workbook asks which events exist, then it gets the agreed names', () => {
    expect(EVENT_NAMES).toEqual([
      'ScanCompleted',
      'ScanFailed',
      'IncidentOpened',
      'TicketOpened',
      'TicketUpdated',
      'RemediationStarted',
      'RemediationSucceeded',
      'RemediationFailed',
      'VerificationSucceeded',
      'VerificationFailed',
      'ApprovalRecorded',
      'ScanPoisoned',
    ]);
    expect(METRIC_NAMES).toEqual(['SsprFailures', 'ConfirmedAdmins', 'GraphThrottled']);
  });

  test('when ScanCompleted is sent, then its window is in properties and its counts are measurements', () => {
    expect(EVENTS.ScanCompleted).toEqual({
      properties: ['tenantId', 'windowFrom', 'windowTo'],
      measurements: ['eventsRead', 'failures', 'confirmed', 'durationMs', 'graphRequests', 'throttled'],
    });
    expect(EVENTS.ScanFailed.properties).toEqual(['tenantId', 'code']);
  });

  test('when the name lists are built, then the context properties are included and no name is both a property and a measurement', () => {
    for (const name of CONTEXT_PROPERTIES) expect(PROPERTY_NAMES).toContain(name);
    expect(MEASUREMENT_NAMES.filter((name) => PROPERTY_NAMES.includes(name))).toEqual([]);
  });
});
