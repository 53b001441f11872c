import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './root';
import { enqueueScheduledScans } from '../usecases/enqueueScan';

/**
 * Every SCAN_SCHEDULE: one queue message per enabled tenant of the registry, the longest-unscanned
 * first, spread over SCAN_SPREAD; tenantScan runs them.
 */
export async function scheduledScan(timer: Timer, context: InvocationContext): Promise<void> {
  context.log(`scheduled scan: isPastDue=${timer.isPastDue}`);
  const { scans, queue, settings, app: scanner } = services();
  await enqueueScheduledScans(
    { scans, queue, registry: await scanner.tenants() },
    context,
    settings.spreadMs,
  );
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', runOnStartup: false, handler: scheduledScan });
