import type {
  EventMeasurementName,
  EventName,
  EventPropertyName,
  MetricName,
  MetricPropertyName,
} from '../../core/telemetryVocabulary';

/** A property value telemetry accepts; the adapter scrubs and stringifies it. */
export type PropertyValue = string | number | boolean | null | undefined;

/** Where a call happens: added to every event so it joins the Functions invocation and the incident in KQL. */
export interface TelemetryContext {
  invocationId?: string;
  tenantId?: string;
  incidentId?: string;
}

export type EventProperties<N extends EventName> = { [K in EventPropertyName<N>]?: PropertyValue };
export type EventMeasurements<N extends EventName> = { [K in EventMeasurementName<N>]?: number };
export type MetricProperties<N extends MetricName> = { [K in MetricPropertyName<N>]?: PropertyValue };

/** The telemetry port. Names and fields come from core/telemetryVocabulary.ts; nothing else may be sent. */
export interface Telemetry {
  event<N extends EventName>(
    name: N,
    properties?: EventProperties<N>,
    measurements?: EventMeasurements<N>,
  ): void;
  metric<N extends MetricName>(name: N, value: number, properties?: MetricProperties<N>): void;
  /** The same telemetry, adding `context` to every call (the invocation's id, tenant, incident). */
  withContext(context: TelemetryContext): Telemetry;
  /**
   * Sends everything tracked so far, metrics included, and resolves once the ingestion endpoint has
   * answered. Await it before a Functions invocation returns, or telemetry may be lost. Never throws.
   */
  flush(): Promise<void>;
  /** Flushes, then stops the exporters' timers so the process can exit. */
  shutdown(): Promise<void>;
}
