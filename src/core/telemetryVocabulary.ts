/**
 * The one telemetry vocabulary: every custom event and metric the app sends, with the names of the
 * fields each carries. `properties` land in Application Insights as `customDimensions` (strings),
 * `measurements` as `customMeasurements` (numbers). The workbook, alerts and tests query only
 * names listed here; add a name here before sending it.
 *
 * In applicationinsights 3.x custom metrics are pre-aggregated histograms exported periodically (and
 * on flush), so anything a dashboard must count exactly is an event: sum its measurements in KQL.
 */

/** Added to every event from the invocation's context (Functions invocation id, tenant, incident). */
export const CONTEXT_PROPERTIES = ['invocationId', 'tenantId', 'incidentId'] as const;

export const EVENTS = {
  /** One scan of one tenant's window finished. */
  ScanCompleted: {
    properties: ['tenantId', 'windowFrom', 'windowTo'],
    measurements: ['eventsRead', 'failures', 'confirmed', 'durationMs', 'graphRequests', 'throttled'],
  },
  /** A scan stopped with an error (`code` is the AppError code). */
  ScanFailed: { properties: ['tenantId', 'code'], measurements: [] },
  /** A new incident (one per tenant and cause) was opened. */
  IncidentOpened: { properties: ['tenantId', 'incidentId', 'cause'], measurements: ['admins'] },
  TicketOpened: { properties: ['tenantId', 'incidentId', 'ticketSystem', 'ticketId'], measurements: [] },
  /** `change`: updated (new admins), hardening, resolved or failed. */
  TicketUpdated: {
    properties: ['tenantId', 'incidentId', 'ticketSystem', 'ticketId', 'change'],
    measurements: [],
  },
  /** The fix was started; `disabledByUpn`/`disabledAt` record who switched admin SSPR off, when known. */
  RemediationStarted: {
    properties: ['tenantId', 'incidentId', 'method', 'jobName', 'disabledByUpn', 'disabledAt'],
    measurements: [],
  },
  RemediationSucceeded: { properties: ['tenantId', 'incidentId', 'method', 'jobName'], measurements: [] },
  RemediationFailed: {
    properties: ['tenantId', 'incidentId', 'method', 'jobName', 'code'],
    measurements: [],
  },
  VerificationSucceeded: { properties: ['tenantId', 'incidentId'], measurements: ['waitedMs'] },
  VerificationFailed: { properties: ['tenantId', 'incidentId', 'code'], measurements: ['waitedMs'] },
  ApprovalRecorded: { properties: ['tenantId', 'incidentId', 'approverUpn'], measurements: [] },
  /** A queued scan failed too often and was set aside. */
  ScanPoisoned: { properties: ['tenantId', 'code'], measurements: ['dequeueCount'] },
} as const satisfies Record<string, { properties: readonly string[]; measurements: readonly string[] }>;

export const METRICS = {
  /** SSPR failures classified in a scan. */
  SsprFailures: { properties: ['tenantId'] },
  /** Admins confirmed blocked by SSPR_009 in a scan. */
  ConfirmedAdmins: { properties: ['tenantId'] },
  /** 429 answers from Graph in a scan (whole requests and $batch items). */
  GraphThrottled: { properties: ['tenantId'] },
} as const satisfies Record<string, { properties: readonly string[] }>;

export type EventName = keyof typeof EVENTS;
export type MetricName = keyof typeof METRICS;
export type ContextProperty = (typeof CONTEXT_PROPERTIES)[number];
export type EventPropertyName<N extends EventName> =
  (typeof EVENTS)[N]['properties'][number] | ContextProperty;
export type EventMeasurementName<N extends EventName> = (typeof EVENTS)[N]['measurements'][number];
export type MetricPropertyName<N extends MetricName> = (typeof METRICS)[N]['properties'][number];

export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Every customDimensions / customMeasurements name any event or metric may carry. */
export const PROPERTY_NAMES: readonly string[] = [
  ...new Set<string>([
    ...CONTEXT_PROPERTIES,
    ...Object.values(EVENTS).flatMap((event) => event.properties),
    ...Object.values(METRICS).flatMap((metric) => metric.properties),
  ]),
];
export const MEASUREMENT_NAMES: readonly string[] = [
  ...new Set<string>(Object.values(EVENTS).flatMap((event) => event.measurements)),
];
