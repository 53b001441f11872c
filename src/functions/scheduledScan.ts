import { app, type InvocationContext, type Timer } from '@azure/functions';
import { enqueueScan } from '../app/enqueueScan';
import { SCAN_RECORD_DAYS, type ScanRequests } from '../app/scanRequests';
import { services } from '../app/services';
import { AppError, toAppError } from '../errors';

/** Every SCAN_SCHEDULE: one queue message per tenant in TENANTS; tenantScan runs them. */
export async function scheduledScan(timer: Timer, context: InvocationContext): Promise<void> {
  context.log(`scheduled scan: isPastDue=${timer.isPastDue}`);
  const app = services();
  const { settings } = app;
  const failed: string[] = [];
  for (const tenantId of settings.tenants) {
    try {
      const scanId = await enqueueScan(app, { tenantId, requestedBy: 'timer' });
      context.log(`queued scan ${scanId} of tenant ${tenantId}`);
    } catch (err) {
      const error = toAppError(err);
      failed.push(tenantId);
      context.error(`could not queue a scan of tenant ${tenantId}: ${error.code}: ${error.message}`);
    }
  }
  await forgetOldScanRecords(app.scans, context);
  if (failed.length > 0) {
    throw new AppError(
      'QUEUE.UNAVAILABLE',
      `${failed.length} of ${settings.tenants.length} tenant scans could not be queued; the next run tries again.`,
      { transient: true },
    );
  }
}

/** Scan rows older than SCAN_RECORD_DAYS go, so ssprScans does not grow forever. Best effort: the next run tries again. */
async function forgetOldScanRecords(scans: ScanRequests, context: InvocationContext): Promise<void> {
  try {
    const forgotten = await scans.forgetBefore(new Date(Date.now() - SCAN_RECORD_DAYS * 86_400_000));
    if (forgotten > 0) context.log(`forgot ${forgotten} scan records older than ${SCAN_RECORD_DAYS} days`);
  } catch (err) {
    context.warn(`could not forget old scan records (${toAppError(err).code}); the next run tries again`);
  }
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', runOnStartup: false, handler: scheduledScan });
