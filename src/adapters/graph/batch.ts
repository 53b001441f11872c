import type { Client } from '@microsoft/microsoft-graph-client';
import type { GraphStats } from '../../usecases/ports/graph';
import { RETRYABLE_STATUS, retryDelayMs, type BackoffOptions } from '../http/retryPolicy';
import { describeGraphFailure } from './graphErrors';

export const BATCH_LIMIT = 20;

export interface BatchRequest {
  id: string;
  url: string;
  /** Per-item headers: Graph applies only these to the item, never the outer POST's (json-batching). */
  headers?: Record<string, string>;
}

export interface BatchResponse {
  id: string;
  status: number;
  body?: any;
  /** Set when no answer came for this item at all (the whole $batch call failed). */
  error?: string;
}

interface WireResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: any;
}

export interface BatchOptions {
  maxAttempts: number;
  stats: GraphStats;
  backoff: BackoffOptions;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs GET requests through `POST /$batch`, 20 at a time. Each item can be throttled or fail on its
 * own inside a 200 answer, so throttled and 5xx items are retried in a later batch after the longest
 * `Retry-After` among them. Answers are matched by id: Graph may return them in any order.
 */
export async function runBatch(
  client: Client,
  requests: BatchRequest[],
  options: BatchOptions,
): Promise<Map<string, BatchResponse>> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const results = new Map<string, BatchResponse>();
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const lastAttempt = attempt + 1 >= options.maxAttempts;
    const retry: BatchRequest[] = [];
    let waitMs = 0;
    for (let start = 0; start < pending.length; start += BATCH_LIMIT) {
      const chunk = pending.slice(start, start + BATCH_LIMIT);
      const answers = await sendChunk(client, chunk);
      for (const request of chunk) {
        const answer = answers.get(request.id.toLowerCase());
        if (!answer) {
          results.set(request.id, {
            id: request.id,
            status: 0,
            error: 'no answer for this item in the $batch response',
          });
          continue;
        }
        if ('error' in answer) {
          results.set(request.id, { id: request.id, status: 0, error: answer.error });
          continue;
        }
        if (answer.status === 429) options.stats.throttled++;
        if (RETRYABLE_STATUS.has(answer.status) && !lastAttempt) {
          retry.push(request);
          waitMs = Math.max(
            waitMs,
            retryDelayMs(attempt, headerValue(answer.headers, 'retry-after'), options.backoff),
          );
          continue;
        }
        results.set(request.id, { id: request.id, status: answer.status, body: answer.body });
      }
    }
    if (retry.length > 0) await sleep(waitMs);
    pending = retry;
  }
  return results;
}

async function sendChunk(
  client: Client,
  chunk: BatchRequest[],
): Promise<Map<string, WireResponse | { error: string }>> {
  const answers = new Map<string, WireResponse | { error: string }>();
  try {
    const body = await client.api('/$batch').post({
      requests: chunk.map(({ id, url, headers }) => ({
        id,
        method: 'GET',
        url,
        ...(headers && { headers }),
      })),
    });
    for (const response of (body?.responses ?? []) as WireResponse[])
      answers.set(String(response.id).toLowerCase(), response);
  } catch (err) {
    const { text } = describeGraphFailure(err);
    for (const request of chunk) answers.set(request.id.toLowerCase(), { error: `$batch failed: ${text}` });
  }
  return answers;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : String(headers[key]);
}
