import type { TokenCredential } from '@azure/identity';
import { QueueServiceClient, RestError, type QueueClient } from '@azure/storage-queue';
import { AppError } from '../../errors';
import { createdOnce } from './storageAccess';
import type { QueueConnection } from '../../config/functionsSettings';
import { SCAN_QUEUE } from '../../core/scanMessage';
import type { ScanMessage } from '../../core/scanMessage';

/**
 * The `sspr-scans` queue, written as the Functions queue trigger reads it: base64 of the JSON text
 * (host.json `messageEncoding: base64`, the host's default).
 */
export class ScanQueue {
  private readonly client: QueueClient;

  /** `credential`: the host storage's identity (AzureWebJobsStorage__clientId), for a queue reached by URL. */
  constructor(connection: QueueConnection, credential: TokenCredential) {
    const service =
      connection.kind === 'connectionString'
        ? QueueServiceClient.fromConnectionString(connection.value)
        : new QueueServiceClient(connection.queueServiceUrl, credential);
    this.client = service.getQueueClient(SCAN_QUEUE);
  }

  async send(message: ScanMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.ensureQueue();
    try {
      await this.client.sendMessage(encodeScanMessage(message), {
        visibilityTimeout: options.delaySeconds || undefined,
      });
    } catch (err) {
      throw queueFailed(err);
    }
  }

  /** Proves the queue answers and says how many scans wait, for GET /api/health. Not created yet: 0. */
  async probe(abortSignal: AbortSignal): Promise<{ approximateMessages: number }> {
    try {
      const properties = await this.client.getProperties({ abortSignal });
      return { approximateMessages: properties.approximateMessagesCount ?? 0 };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return { approximateMessages: 0 };
      throw queueFailed(err);
    }
  }

  private readonly ensureQueue = createdOnce(() => this.client.createIfNotExists(), queueFailed);
}

export function encodeScanMessage(message: ScanMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

function queueFailed(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const detail =
    err instanceof RestError
      ? `${err.statusCode ?? ''} ${err.code ?? err.message}`.trim()
      : err instanceof Error
        ? err.name
        : String(err);
  return new AppError(
    'QUEUE.UNAVAILABLE',
    `The scan queue (${SCAN_QUEUE} in AzureWebJobsStorage) failed: ${detail}. Check the connection and that the account is reachable.`,
    {
      transient: true,
      cause: err,
    },
  );
}
