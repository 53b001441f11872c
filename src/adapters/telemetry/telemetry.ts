import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { TelemetryClient } from 'applicationinsights';
import { scrubMeasurements, scrubProperties, type PiiMode } from './scrub';
import type { TelemetrySettings } from '../../config/telemetry';
import type { EventName, MetricName } from '../../core/telemetryVocabulary';
import type {
  EventMeasurements,
  EventProperties,
  MetricProperties,
  PropertyValue,
  Telemetry,
  TelemetryContext,
} from '../../usecases/ports/telemetry';

/** APPLICATIONINSIGHTS_CONNECTION_STRING is unset: every call does nothing. */
export class NoTelemetry implements Telemetry {
  event(): void {}
  metric(): void {}
  withContext(): Telemetry {
    return this;
  }
  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export interface AppInsightsTelemetryOptions {
  /** `hash` replaces userPrincipalName / upn / …Upn values with a SHA-256 salted by the tenant id. */
  piiMode?: PiiMode;
  /** Values never to send; a property whose value contains one is dropped (see secretsFromEnv). */
  knownSecrets?: readonly string[];
  context?: TelemetryContext;
  /**
   * Keep telemetry that could not be sent on disk and retry it later (the exporter's default).
   * Off, a failed send is dropped.
   */
  offlineStorage?: boolean;
  /**
   * Entra credential for ingestion. Needed when the Application Insights resource disables local
   * (instrumentation key) auth, as our infra does: without it, custom events are refused.
   */
  credential?: TokenCredential;
}

interface Shared {
  client: TelemetryClient;
  piiMode: PiiMode;
  knownSecrets: readonly string[];
}

/**
 * Application Insights through applicationinsights 3.x. The client is isolated
 * (`useGlobalProviders: false`): its own OpenTelemetry providers, no global registration and no
 * auto-collection of anything (requests, dependencies, console, exceptions, performance counters,
 * live metrics); only what this class is asked to send leaves the process.
 *
 * Events go out as EventData (customEvents). Metrics are recorded on an OpenTelemetry histogram and
 * exported as MetricData (customMetrics) with delta temporality, periodically and on flush(): one data
 * point per metric name and property set since the last export (value = sum, count, min, max).
 */
export class AppInsightsTelemetry implements Telemetry {
  private readonly shared: Shared;
  private readonly context: TelemetryContext;

  constructor(connectionString: string, options?: AppInsightsTelemetryOptions);
  constructor(shared: Shared, options: { context: TelemetryContext });
  constructor(source: string | Shared, options: AppInsightsTelemetryOptions = {}) {
    this.shared = typeof source === 'string' ? createShared(source, options) : source;
    this.context = { ...options.context };
  }

  event<N extends EventName>(
    name: N,
    properties: EventProperties<N> = {},
    measurements: EventMeasurements<N> = {},
  ): void {
    const all: Record<string, PropertyValue> = { ...definedOnly(this.context), ...definedOnly(properties) };
    this.shared.client.trackEvent({
      name,
      properties: this.scrub(all),
      measurements: scrubMeasurements(measurements),
    });
  }

  /**
   * Metrics carry the tenant but not the invocation or incident: each distinct property set is its own
   * series, and a per-invocation id would defeat the aggregation. Correlate through the events.
   */
  metric<N extends MetricName>(name: N, value: number, properties: MetricProperties<N> = {}): void {
    if (!Number.isFinite(value)) return;
    const all: Record<string, PropertyValue> = {
      tenantId: this.context.tenantId,
      ...definedOnly(properties),
    };
    this.shared.client.trackMetric({ name, value, properties: this.scrub(all) });
  }

  withContext(context: TelemetryContext): Telemetry {
    return new AppInsightsTelemetry(this.shared, { context: { ...this.context, ...definedOnly(context) } });
  }

  async flush(): Promise<void> {
    // The shim's flush forces the log, trace and metric providers and waits for each export's reply;
    // it reports export errors to the OpenTelemetry diag logger instead of rejecting.
    await this.shared.client.flush().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.shared.client.shutdown().catch(() => undefined);
  }

  private scrub(properties: Record<string, PropertyValue>): Record<string, string> {
    const tenantId = typeof properties.tenantId === 'string' ? properties.tenantId : this.context.tenantId;
    return scrubProperties(properties, {
      piiMode: this.shared.piiMode,
      knownSecrets: this.shared.knownSecrets,
      tenantId,
    });
  }
}

function createShared(connectionString: string, options: AppInsightsTelemetryOptions): Shared {
  // Loaded here, not at the top: the OpenTelemetry stack is large and unused when telemetry is off.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; an import would load it at start
  const { TelemetryClient: Client } = require('applicationinsights') as typeof import('applicationinsights');
  const client = new Client(connectionString, { useGlobalProviders: false });
  // With isolated providers nothing is instrumented anyway; these say so in case a default changes.
  // (enableAutoCollectPreAggregatedMetrics is left alone: setting it writes to process.env.)
  const config = client.config;
  if (options.credential) config.aadTokenCredential = options.credential;
  config.enableAutoCollectConsole = false;
  config.enableAutoCollectExceptions = false;
  config.enableAutoCollectPerformance = false;
  config.enableAutoCollectRequests = false;
  config.enableAutoCollectDependencies = false;
  config.enableAutoCollectExternalLoggers = false;
  config.enableSendLiveMetrics = false;
  config.enableUseDiskRetryCaching = options.offlineStorage ?? true;
  config.azureMonitorOpenTelemetryOptions = {
    ...config.azureMonitorOpenTelemetryOptions,
    enableLiveMetrics: false,
    enableStandardMetrics: false,
    enablePerformanceCounters: false,
  };
  client.initialize();
  return {
    client,
    piiMode: options.piiMode ?? 'plain',
    knownSecrets: [...(options.knownSecrets ?? []), connectionString].filter((secret) => secret.length > 0),
  };
}

function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== undefined && value !== null),
  ) as Partial<T>;
}

/**
 * Telemetry from its settings: NoTelemetry when APPLICATIONINSIGHTS_CONNECTION_STRING is unset or
 * blank; otherwise Application Insights, with PII_MODE and the values of every secret-named setting as
 * known secrets.
 */
export function createTelemetry(
  settings: TelemetrySettings,
  options: Omit<AppInsightsTelemetryOptions, 'piiMode'> = {},
): Telemetry {
  if (!settings.connectionString) return new NoTelemetry();
  const { entra } = settings;
  return new AppInsightsTelemetry(settings.connectionString, {
    ...(entra
      ? {
          credential: entra.clientId
            ? new ManagedIdentityCredential({ clientId: entra.clientId })
            : new DefaultAzureCredential(),
        }
      : {}),
    ...options,
    piiMode: settings.piiMode,
    knownSecrets: [...settings.knownSecrets, ...(options.knownSecrets ?? [])],
  });
}
