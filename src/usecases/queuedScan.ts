import { AppError, publicMessage, toAppError } from '../errors';
import { saferMode, type ActionMode } from '../core/modes';
import { parseScanMessage, parseIsoTime, type ScanMessage } from '../core/scanMessage';
import { FINAL_STATUSES, type ScanRecords } from './ports/scans';
import type { RegisteredTenant, TenantRegistry } from './ports/tenants';
import type { Telemetry } from './ports/telemetry';
import { scanResultJson } from './resultJson';
import { recordOutcome } from './scanFleet';
import { reportScanPoisoned, type Invocation } from './scanPoisoned';
import type { ScanRequest, ScanResult } from './scanTenant';

/** The Functions host tries a queue message this many times, then moves it to the poison queue (host.json). */
export const MAX_DEQUEUE_COUNT = 5;

/** What running a queued scan needs; built on first use, so a bad setting fails the try, not the import. */
export interface QueuedScanDependencies {
  /** The tenants this deployment watches (TENANTS and `tenants add`), with each one's mode cap. */
  registry(): Promise<TenantRegistry>;
  /** ACTION_MODE now: a queued request never runs in a riskier mode. */
  configuredMode: ActionMode;
  scans: ScanRecords;
  scan(mode: ActionMode, request: ScanRequest, tenant: RegisteredTenant): Promise<ScanResult>;
}

export type QueuedScanOutcome =
  'succeeded' | 'skipped-busy' | 'skipped-disabled' | 'skipped-unregistered' | 'duplicate' | 'invalid';

/**
 * One queue message: mark the scan running, run it in the safer of the asked and the configured mode,
 * and record the outcome. The tenant lease held by another scan is an answer (`skipped-busy`), not a
 * failure. Any other error is recorded as `failed` and thrown, so the host retries the message; on the
 * last try (dequeueCount ≥ MAX_DEQUEUE_COUNT) it is reported as ScanPoisoned before the host moves it
 * to the poison queue.
 */
export async function runQueuedScan(
  raw: unknown,
  context: Invocation,
  telemetry: Telemetry,
  dependencies: () => QueuedScanDependencies,
): Promise<QueuedScanOutcome> {
  const dequeueCount = dequeueCountOf(context);
  const message = await parsedOrReported(raw, 'invalid-message', dequeueCount, context, telemetry);
  if (!message) return 'invalid';
  let app: QueuedScanDependencies | undefined;
  try {
    app = dependencies();
    return await scanOnce(app, message, dequeueCount, context);
  } catch (err) {
    const error = toAppError(err);
    const recorded = { code: error.code, message: publicMessage(error, context.invocationId) };
    const last = dequeueCount >= MAX_DEQUEUE_COUNT;
    await app?.scans
      .failed(message.scanId, message.tenantId, recorded, { poisoned: last })
      .catch((writeErr) => {
        context.warn(`could not record scan ${message.scanId} as failed: ${toAppError(writeErr).code}`);
      });
    if (last) {
      await reportScanPoisoned(context, telemetry, {
        source: 'last-attempt',
        ...ids(message),
        dequeueCount,
        code: error.code,
        reason: error.message,
      });
    } else {
      context.error(
        `scan ${message.scanId} of tenant ${message.tenantId} failed on try ${dequeueCount} of ${MAX_DEQUEUE_COUNT} (retried): ${error.code}: ${error.message}`,
      );
    }
    throw error;
  }
}

async function scanOnce(
  services: QueuedScanDependencies,
  message: ScanMessage,
  dequeueCount: number,
  context: Invocation,
): Promise<QueuedScanOutcome> {
  const warn = (text: string) => context.warn(text);
  // Anyone who can write to the queue can name any tenant: only registered ones are scanned.
  const registry = await services.registry();
  const tenant = await registry.get(message.tenantId.toLowerCase());
  if (!tenant) {
    // Most often a tenant removed after the timer queued its scan (SCAN_SPREAD): a normal event, not an
    // alert. A message someone else wrote for a tenant never added ends the same way: nothing is read.
    context.warn(
      `scan ${message.scanId} of tenant ${message.tenantId} dropped: SCAN.UNKNOWN_TENANT, the tenant is not registered (removed since it was queued, or never added)`,
    );
    await services.scans.skipped(message.scanId, message.tenantId, {
      status: 'skipped-unregistered',
      code: 'SCAN.UNKNOWN_TENANT',
      message: `Tenant ${message.tenantId} is not registered: add it (tenants add, or TENANTS) to scan it.`,
    });
    return 'skipped-unregistered';
  }
  if (!tenant.enabled) {
    context.log(`scan ${message.scanId} of tenant ${tenant.tenantId} dropped: the tenant is disabled`);
    await services.scans.skipped(message.scanId, tenant.tenantId, {
      status: 'skipped-disabled',
      code: 'SCAN.TENANT_DISABLED',
      message: `Tenant ${tenant.tenantId} is disabled in the registry; enable it (tenants add --enabled) to scan it.`,
    });
    return 'skipped-disabled';
  }
  const known = await services.scans.get(message.scanId);
  if (known && FINAL_STATUSES.includes(known.status)) {
    context.log(
      `scan ${message.scanId} is already ${known.status}: this delivery is a duplicate and is dropped`,
    );
    return 'duplicate';
  }
  // The safest of what the message asks, the tenant's cap and ACTION_MODE.
  const mode = saferMode(message.mode, saferMode(tenant.modeCap, services.configuredMode));
  if (message.mode && mode !== message.mode)
    context.warn(
      `scan ${message.scanId} asked for mode ${message.mode}; ACTION_MODE and the tenant's mode cap allow ${mode}, so it runs as ${mode}`,
    );
  context.log(
    `scan ${message.scanId} of tenant ${message.tenantId} (${message.requestedBy}, mode ${mode}, try ${dequeueCount}) starts`,
  );
  await services.scans.running(message.scanId, message.tenantId, message.requestedBy, dequeueCount);
  try {
    const result = await services.scan(
      mode,
      { tenantId: tenant.tenantId, from: at(message.from), to: at(message.to) },
      tenant,
    );
    await services.scans.succeeded(message.scanId, message.tenantId, scanResultJson(result));
    await recordOutcome(registry, { tenantId: tenant.tenantId, result }, new Date(), warn);
    const confirmed = result.findings.filter((finding) => finding.verdict === 'confirmed').length;
    context.log(
      `scan ${message.scanId} of tenant ${message.tenantId} succeeded: ${result.eventsRead} events, ${result.findings.length} users with failures, ` +
        `${confirmed} confirmed, ${result.incidents.length} incident(s), ${result.graphRequests.total} Graph requests (${result.graphRequests.throttled} throttled)`,
    );
    for (const failure of result.actionErrors)
      context.warn(
        `incident ${failure.incidentId}: ${failure.code}: ${failure.message} (retried by the next scan)`,
      );
    return 'succeeded';
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'SCAN.TENANT_BUSY')) {
      const error = toAppError(err);
      // Every failed try shows on the tenant at once; the host retries the message.
      await recordOutcome(
        registry,
        {
          tenantId: tenant.tenantId,
          error: { code: error.code, message: publicMessage(error, context.invocationId) },
        },
        new Date(),
        warn,
      );
      throw err;
    }
    await recordOutcome(registry, { tenantId: tenant.tenantId, skipped: 'busy' }, new Date(), warn);
    await services.scans.skipped(message.scanId, message.tenantId, {
      status: 'skipped-busy',
      code: 'SCAN.TENANT_BUSY',
      message: err.message,
    });
    context.log(
      `scan ${message.scanId} of tenant ${message.tenantId} skipped-busy: another scan holds the tenant lease`,
    );
    return 'skipped-busy';
  }
}

/**
 * A message in sspr-scans-poison. The last try normally reported it already; a try that timed out or
 * whose worker died did not, so this reports it (and marks the row) instead of leaving it silent.
 */
export async function handlePoisonedScan(
  raw: unknown,
  context: Invocation,
  telemetry: Telemetry,
  dependencies: () => QueuedScanDependencies,
): Promise<void> {
  const dequeueCount = dequeueCountOf(context);
  const message = await parsedOrReported(raw, 'poison-queue', dequeueCount, context, telemetry);
  if (!message) return;
  const app = dependencies();
  const known = await app.scans.get(message.scanId);
  if (known?.poisoned) {
    context.log(
      `scan ${message.scanId} reached the poison queue; it was reported as ScanPoisoned on its last try`,
    );
    return;
  }
  const error = known?.error ?? {
    code: 'QUEUE.POISONED',
    message: `The last of ${MAX_DEQUEUE_COUNT} tries ended without a result (timed out, or the worker stopped).`,
  };
  await app.scans.failed(message.scanId, message.tenantId, error, { poisoned: true });
  await reportScanPoisoned(context, telemetry, {
    source: 'poison-queue',
    ...ids(message),
    dequeueCount,
    code: error.code,
    reason: error.message,
  });
}

/**
 * The scan message, or undefined once a message that is not ours has been reported as ScanPoisoned:
 * retrying cannot fix it, so it is reported now and let go.
 */
async function parsedOrReported(
  raw: unknown,
  source: 'invalid-message' | 'poison-queue',
  dequeueCount: number,
  context: Invocation,
  telemetry: Telemetry,
): Promise<ScanMessage | undefined> {
  const parsed = parseScanMessage(raw);
  if ('message' in parsed) return parsed.message;
  await reportScanPoisoned(context, telemetry, {
    source,
    scanId: null,
    tenantId: null,
    requestedBy: null,
    dequeueCount,
    code: 'QUEUE.INVALID_MESSAGE',
    reason: parsed.problem,
  });
  return undefined;
}

function ids(message: ScanMessage) {
  return { scanId: message.scanId, tenantId: message.tenantId, requestedBy: message.requestedBy };
}

function dequeueCountOf(context: Invocation): number {
  const count = Number(context.triggerMetadata?.dequeueCount ?? 1);
  return Number.isFinite(count) && count >= 1 ? count : 1;
}

function at(text: string | undefined): Date | undefined {
  return text === undefined ? undefined : parseIsoTime(text);
}
