import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { isCredentialFailure, tokenFailure } from '../auth/credentialFailure';
import { AppError } from '../../errors';
import type { AuditBudget } from '../../usecases/ports/auditBudget';
import type { GraphStats } from '../../usecases/ports/graph';
import type { SlidingWindowPacer } from './pacer';
import { RETRYABLE_STATUS, retryDelayMs, type BackoffOptions } from '../http/retryPolicy';

export interface ResilienceOptions {
  maxAttempts: number;
  auditPacer: SlidingWindowPacer;
  /** The app's cross-tenant allowance shared by every instance (FLEET_AUDIT_REQUESTS_PER_10S), taken after the tenant's own pace. */
  fleetBudget?: { budget: AuditBudget; tenantId: string };
  stats: GraphStats;
  backoff: BackoffOptions;
  sleep?: (ms: number) => Promise<void>;
  /** How long one attempt may wait for Graph's answer; only tests shorten it. */
  attemptTimeoutMs?: number;
}

/**
 * One Graph attempt waits at most this long (Node's fetch would wait 300 s), then counts as a lost
 * connection and is retried: a hung request never holds a scan, and its lease, past the Functions timeout.
 */
export const GRAPH_ATTEMPT_TIMEOUT_MS = 60_000;

const AUDIT_PATH = /\/auditlogs\/directoryaudits/i;

/**
 * First link of the Graph client's middleware chain: paces audit-log requests to the tenant's limit,
 * retries 429/5xx/connection failures (Retry-After first, jittered backoff otherwise) and counts
 * what it sent. The auth handler after it re-applies the token on every attempt.
 */
export class ResilienceHandler implements Middleware {
  private next?: Middleware;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ResilienceOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const paced = AUDIT_PATH.test(new URL(url).pathname);
    const { maxAttempts, auditPacer, stats, backoff } = this.options;
    for (let attempt = 0; ; attempt++) {
      const lastAttempt = attempt + 1 >= maxAttempts;
      const answered = paced ? await this.paceAudit() : undefined;
      stats.total++;
      context.response = undefined;
      // The auth handler appends its header; drop the last attempt's so a retry carries exactly one.
      removeAuthorization(context);
      context.options = {
        ...context.options,
        signal: AbortSignal.timeout(this.options.attemptTimeoutMs ?? GRAPH_ATTEMPT_TIMEOUT_MS),
      };
      try {
        await this.next!.execute(context);
        answered?.();
      } catch (err) {
        answered?.();
        // No token (or one for another tenant), so nothing reached Graph: `graphRequests` counts what Graph saw.
        const noToken = (err instanceof AppError && err.code.startsWith('AUTH.')) || isCredentialFailure(err);
        if (noToken) stats.total--;
        if (err instanceof AppError) throw err;
        if (isCredentialFailure(err)) throw tokenFailure(err, 'Microsoft Graph');
        if (lastAttempt || !isConnectionFailure(err)) throw unreachable(err);
        await this.sleep(retryDelayMs(attempt, undefined, backoff));
        continue;
      }
      const response = context.response as Response | undefined;
      if (!response) return;
      if (response.status === 429) {
        stats.throttled++;
        if (paced) auditPacer.saturate();
      }
      if (!RETRYABLE_STATUS.has(response.status) || lastAttempt) return;
      await response.arrayBuffer().catch(() => undefined);
      await this.sleep(retryDelayMs(attempt, response.headers.get('Retry-After'), backoff));
    }
  }

  /** The tenant's own pace first, then a share of the fleet's; the returned function releases both. */
  private async paceAudit(): Promise<() => void> {
    const tenantAnswered = await this.options.auditPacer.acquire();
    const fleet = this.options.fleetBudget;
    if (!fleet) return tenantAnswered;
    let fleetAnswered: () => void;
    try {
      fleetAnswered = await fleet.budget.take(fleet.tenantId);
    } catch (err) {
      tenantAnswered();
      throw err;
    }
    return () => {
      tenantAnswered();
      fleetAnswered();
    };
  }
}

function removeAuthorization(context: Context): void {
  const headers = context.options?.headers as Headers | Record<string, string> | undefined;
  if (!headers) return;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) headers.delete('Authorization');
  else delete (headers as Record<string, string>).Authorization;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Undici's `fetch failed` (the cause says why), a socket error code, or our attempt timeout: worth another try. */
function isConnectionFailure(err: unknown): boolean {
  const code =
    (err as { cause?: { code?: string }; code?: string })?.cause?.code ?? (err as { code?: string })?.code;
  return (
    (err instanceof TypeError && err.message === 'fetch failed') ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (err as { name?: unknown })?.name === 'TimeoutError'
  );
}

function unreachable(err: unknown): AppError {
  const cause =
    err instanceof Error && err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : String(err);
  const error = new AppError(
    'GRAPH.UNREACHABLE',
    `Microsoft Graph could not be reached (${cause}). Check GRAPH_ENDPOINT and the network, then retry.`,
    {
      transient: true,
      cause: err,
    },
  );
  // The SDK wraps anything thrown here in a GraphError that keeps only name and message.
  error.name = error.code;
  return error;
}
