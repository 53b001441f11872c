import { AppError, type ErrorCode } from '../../errors';
import { RETRYABLE_STATUS, retryDelayMs } from '../http/retryPolicy';
import { isRedirectRefusal } from '../http/redirects';
import type { Fence } from '../../usecases/ports/state';
import type { TicketSinkOptions } from './sinkCommon';

/** Each ticket system as its messages name it, and the code its failures carry. */
const FAILED_CODE = {
  servicenow: 'TICKET.SERVICENOW_FAILED',
  jira: 'TICKET.JIRA_FAILED',
  AzureDevOps: 'TICKET.AZUREDEVOPS_FAILED',
  GitHub: 'TICKET.GITHUB_FAILED',
  webhook: 'TICKET.WEBHOOK_FAILED',
} as const satisfies Record<string, ErrorCode>;
export type TicketHttpSystem = keyof typeof FAILED_CODE;

export interface TicketHttpOptions {
  /** Names the system in errors: `TICKET.<SYSTEM>_FAILED` codes, and messages an operator can act on. */
  system: TicketHttpSystem;
  /** Authorization and other headers. Never logged, never put in an error. */
  headers: Record<string, string>;
  maxAttempts?: number;
  backoffBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  attemptTimeoutMs?: number;
  /** Checked before every attempt: an instance that lost its tenant lease sends nothing more. */
  fence?: Fence;
}

/**
 * One attempt waits at most this long (Node's fetch would wait 300 s): four attempts and their back-off
 * stay well inside the Functions timeout (host.json, 10 minutes), so a journal row is never left
 * "intended" by a host that killed the invocation.
 */
export const TICKET_ATTEMPT_TIMEOUT_MS = 30_000;

export interface TicketHttpResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A sink's HTTP options: its name (which makes the error code), its headers, and the retry knobs tests set. */
export function sinkHttp(
  system: TicketHttpSystem,
  headers: Record<string, string>,
  { maxAttempts, backoffBaseMs, sleep, attemptTimeoutMs, fence }: TicketSinkOptions,
): TicketHttpOptions {
  return { system, headers, maxAttempts, backoffBaseMs, sleep, attemptTimeoutMs, fence };
}

/** An HTTP Basic Authorization header value. */
export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/**
 * One HTTP call to a ticket system with retries on 429/5xx/connection failures and timeouts
 * (Retry-After first). Answers other than 2xx come back to the caller when listed in `accept` (e.g. 404
 * for "not found"), and become TICKET.<SYSTEM>_FAILED otherwise, with the status and what to check but
 * no secrets. Redirects are never followed: a 307 would re-send the body, the credentials, the
 * signature and the idempotency key to wherever the Location points.
 */
export async function ticketRequest(
  url: string,
  init: { method: string; body?: unknown; contentType?: string; extraHeaders?: Record<string, string> },
  options: TicketHttpOptions,
  accept: number[] = [],
): Promise<TicketHttpResponse> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.maxAttempts ?? 4;
  const code = FAILED_CODE[options.system];
  const timeoutMs = options.attemptTimeoutMs ?? TICKET_ATTEMPT_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const last = attempt + 1 >= attempts;
    options.fence?.assertHeld();
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers: {
          Accept: 'application/json',
          ...(init.body !== undefined ? { 'Content-Type': init.contentType ?? 'application/json' } : {}),
          ...options.headers,
          ...init.extraHeaders,
        },
        body:
          init.body === undefined
            ? undefined
            : typeof init.body === 'string'
              ? init.body
              : JSON.stringify(init.body),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (isRedirectRefusal(err)) {
        throw new AppError(
          code,
          `${options.system} answered ${init.method} ${new URL(url).pathname} with a redirect, which is not followed (it would send the credentials elsewhere). Set the ${options.system} URL to the address that answers directly.`,
          { transient: false },
        );
      }
      if (last) {
        const why =
          (err as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms, ${attempts} times`
            : (err as Error).message;
        throw new AppError(
          code,
          `${options.system} could not be reached at ${new URL(url).origin} (${why}).`,
          {
            transient: true,
            cause: err,
          },
        );
      }
      await sleep(retryDelayMs(attempt, undefined, { baseMs: options.backoffBaseMs ?? 500, capMs: 30_000 }));
      continue;
    }
    const text = await response.text();
    if (response.ok || accept.includes(response.status)) {
      return { status: response.status, headers: response.headers, body: parseBody(text) };
    }
    if (RETRYABLE_STATUS.has(response.status) && !last) {
      await sleep(
        retryDelayMs(attempt, response.headers.get('Retry-After'), {
          baseMs: options.backoffBaseMs ?? 500,
          capMs: 30_000,
        }),
      );
      continue;
    }
    const hint =
      response.status === 401 || response.status === 403
        ? ' Check the credentials and their permissions.'
        : '';
    throw new AppError(
      code,
      `${options.system} answered ${response.status} to ${init.method} ${new URL(url).pathname}.${hint}`,
      {
        transient: RETRYABLE_STATUS.has(response.status),
      },
    );
  }
}

/**
 * One POST that must not take effect twice. A POST is not idempotent, so it is sent once per attempt
 * and, after a failure or a lost answer (a proxy's 502/504 may hide a stored ticket), `already` looks
 * for what it would have made before the next attempt (given the failed answer, or undefined after a
 * connection failure or timeout). `post` must accept RETRYABLE_STATUS answers. Used for every
 * non-idempotent ticket write: creates, comments, work notes, transitions.
 * Returns the first answer outside RETRYABLE_STATUS, or what `already` found.
 */
export async function postOnce<T>(
  post: () => Promise<TicketHttpResponse>,
  already: (failed: TicketHttpResponse | undefined) => Promise<T | undefined>,
  what: string,
  options: TicketHttpOptions,
): Promise<{ response: TicketHttpResponse } | { existing: T }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.maxAttempts ?? 4;
  for (let attempt = 0; ; attempt++) {
    const last = attempt + 1 >= attempts;
    let response: TicketHttpResponse | undefined;
    try {
      response = await post();
    } catch (err) {
      if (last || !(err instanceof AppError) || !err.transient) throw err;
    }
    if (response && !RETRYABLE_STATUS.has(response.status)) return { response };
    if (response && last) {
      throw new AppError(
        FAILED_CODE[options.system],
        `${options.system} answered ${response.status} to ${what} ${attempts} times. Try again later.`,
        {
          transient: true,
        },
      );
    }
    await sleep(
      retryDelayMs(attempt, response?.headers.get('Retry-After') ?? null, {
        baseMs: options.backoffBaseMs ?? 500,
        capMs: 30_000,
      }),
    );
    const existing = await already(response);
    if (existing !== undefined) return { existing };
  }
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
