import { app, type InvocationContext } from '@azure/functions';
import { SCAN_POISON_QUEUE } from '../core/scanMessage';
import { alertTelemetry, services } from './root';
import { handlePoisonedScan } from '../usecases/queuedScan';

/** A scan message the host gave up on: reported as ScanPoisoned unless its last try already did. */
export async function scanPoisoned(message: unknown, context: InvocationContext): Promise<void> {
  await handlePoisonedScan(message, context, alertTelemetry(), () => services().queuedScans);
}

app.storageQueue('scanPoisoned', {
  queueName: SCAN_POISON_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: scanPoisoned,
});
