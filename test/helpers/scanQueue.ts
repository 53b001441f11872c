import { QueueClient } from '@azure/storage-queue';
import type { RunningEmulator } from '../../emulator';
import { emulatorEnv } from '../../src/local/emulatorEnv';

/** What the queue trigger would hand over: the decoded JSON of every waiting message of this tenant (taken off the queue). */
export async function takeMessages(
  connectionString: string,
  tenantId: string,
): Promise<Array<{ message: any; dequeueCount: number }>> {
  const queue = new QueueClient(connectionString, 'sspr-scans');
  const taken: Array<{ message: any; dequeueCount: number }> = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({
      numberOfMessages: 32,
      visibilityTimeout: 1,
    });
    if (receivedMessageItems.length === 0) return taken;
    for (const item of receivedMessageItems) {
      const message = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8'));
      if (message.tenantId !== tenantId) continue;
      taken.push({ message, dequeueCount: item.dequeueCount });
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

/** The Functions app's environment against the emulator and a real Azurite, scanning `tenants`. */
export function functionsEnv(
  emulator: RunningEmulator,
  storage: string,
  tenants: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return emulatorEnv(emulator, {
    AzureWebJobsStorage: storage,
    STATE_STORAGE: storage,
    TENANTS: tenants,
    SCAN_SCHEDULE: '0 */15 * * * *',
    // The tests of a file share one registry: every timer run queues all of them, and at once.
    SCAN_SPREAD: '0s',
    ...extra,
  });
}
