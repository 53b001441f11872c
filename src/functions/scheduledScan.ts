import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './root';
import { enqueueScheduledScans } from '../usecases/enqueueScan';

/** Every SCAN_SCHEDULE: one queue message per tenant in TENANTS; tenantScan runs them. */
export async function scheduledScan(timer: Timer, context: InvocationContext): Promise<void> {
  context.log(`scheduled scan: isPastDue=${timer.isPastDue}`);
  const { scans, queue, settings } = services();
  await enqueueScheduledScans({ scans, queue }, settings.tenants, context, settings.spreadMs);
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', runOnStartup: false, handler: scheduledScan });
