import { app, type InvocationContext, type Timer } from '@azure/functions';
import { enqueueScan } from '../app/enqueueScan';
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
  if (failed.length > 0) {
    throw new AppError('QUEUE.UNAVAILABLE', `${failed.length} of ${settings.tenants.length} tenant scans could not be queued; the next run tries again.`, { transient: true });
  }
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', runOnStartup: false, handler: scheduledScan });
