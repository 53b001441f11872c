import { app, type InvocationContext } from '@azure/functions';
import { SCAN_QUEUE } from '../core/scanMessage';
import { alertTelemetry, services } from './root';
import { runQueuedScan } from '../usecases/queuedScan';

/**
 * One message of the scan queue = one scan of one tenant. Busy tenant → `skipped-busy`; other errors
 * are thrown so the host retries (5 tries, then the poison queue, reported as ScanPoisoned).
 */
export async function tenantScan(message: unknown, context: InvocationContext): Promise<void> {
  await runQueuedScan(message, context, alertTelemetry(), () => services().queuedScans);
}

app.storageQueue('tenantScan', {
  queueName: SCAN_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: tenantScan,
});
