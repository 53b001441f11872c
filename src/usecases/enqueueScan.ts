import { randomUUID } from 'node:crypto';
import { AppError, toAppError } from '../errors';
import type { ActionMode } from '../core/modes';
import type { ScanMessage } from '../core/scanMessage';
import type { ScanQueue, ScanRecords } from './ports/scans';
import type { Invocation } from './scanPoisoned';
import type { TenantRegistry } from './ports/tenants';
import { scanOrder } from './scanFleet';

/** How long GET /api/scans/{id} can find a scan: the timer forgets older ones. */
export const SCAN_RECORD_DAYS = 30;

export interface ScanAsk {
  tenantId: string;
  requestedBy: 'timer' | 'http';
  principal?: string | null;
  mode?: ActionMode;
  from?: string;
  to?: string;
  /** Seconds before a worker may take it. */
  delaySeconds?: number;
}

export interface EnqueueDependencies {
  scans: ScanRecords;
  queue: ScanQueue;
}

/**
 * Records the scan as `queued` and puts one message on the queue. If the queue refuses, the row says
 * `failed` (QUEUE.UNAVAILABLE) and the error is thrown: nobody waits for a scan that was never queued.
 */
export async function enqueueScan(services: EnqueueDependencies, ask: ScanAsk): Promise<string> {
  const scanId = randomUUID();
  const window = { from: ask.from ?? null, to: ask.to ?? null };
  await services.scans.queued({
    scanId,
    tenantId: ask.tenantId,
    requestedBy: ask.requestedBy,
    principal: ask.principal ?? null,
    mode: ask.mode ?? null,
    window,
  });
  const message: ScanMessage = {
    tenantId: ask.tenantId,
    scanId,
    requestedBy: ask.requestedBy,
    ...(ask.mode ? { mode: ask.mode } : {}),
    ...(ask.from ? { from: ask.from } : {}),
    ...(ask.to ? { to: ask.to } : {}),
  };
  try {
    await services.queue.send(message, { delaySeconds: ask.delaySeconds });
  } catch (err) {
    const error = toAppError(err);
    await services.scans
      .failed(scanId, ask.tenantId, { code: error.code, message: error.message })
      .catch(() => undefined);
    throw error;
  }
  return scanId;
}

/**
 * The timer's work: one queued scan per enabled tenant of the registry, the stalest first, each hidden a
 * little longer than the one before so the cycle's scans start evenly over `spreadMs` instead of all
 * at once (a thousand messages at once would scale the host out only to wait on the shared audit
 * budget). Then old scan records are forgotten. One tenant the queue refuses does not stop the others;
 * the run fails afterwards, so the host shows it.
 */
export async function enqueueScheduledScans(
  services: EnqueueDependencies & { registry: TenantRegistry },
  context: Invocation,
  spreadMs = 0,
): Promise<void> {
  const registered = await services.registry.list();
  const tenants = scanOrder(registered.filter((tenant) => tenant.enabled)).map((tenant) => tenant.tenantId);
  const failed: string[] = [];
  for (const [index, tenantId] of tenants.entries()) {
    try {
      const delaySeconds = spreadDelaySeconds(index, tenants.length, spreadMs);
      const scanId = await enqueueScan(services, { tenantId, requestedBy: 'timer', delaySeconds });
      context.log(
        `queued scan ${scanId} of tenant ${tenantId}${delaySeconds ? ` to start in ${delaySeconds} s` : ''}`,
      );
    } catch (err) {
      const error = toAppError(err);
      failed.push(tenantId);
      context.error(`could not queue a scan of tenant ${tenantId}: ${error.code}: ${error.message}`);
    }
  }
  await forgetOldScanRecords(services.scans, context);
  if (failed.length > 0) {
    throw new AppError(
      'QUEUE.UNAVAILABLE',
      `${failed.length} of ${tenants.length} tenant scans could not be queued; the next run tries again.`,
      { transient: true },
    );
  }
}

/** The i-th of n scans starts i/n of the way through the spread (the first at once). */
export function spreadDelaySeconds(index: number, count: number, spreadMs: number): number {
  return count > 1 ? Math.floor((index * spreadMs) / count / 1000) : 0;
}

/** Scan rows older than SCAN_RECORD_DAYS go, so ssprScans does not grow forever. Best effort: the next run tries again. */
async function forgetOldScanRecords(scans: ScanRecords, context: Invocation): Promise<void> {
  try {
    const forgotten = await scans.forgetBefore(new Date(Date.now() - SCAN_RECORD_DAYS * 86_400_000));
    if (forgotten > 0) context.log(`forgot ${forgotten} scan records older than ${SCAN_RECORD_DAYS} days`);
  } catch (err) {
    context.warn(`could not forget old scan records (${toAppError(err).code}); the next run tries again`);
  }
}
