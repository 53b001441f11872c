import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { AppError, publicMessage, toAppError, type ErrorCode } from '../../errors';

/** RFC 9457 problem details, plus our stable `code` and the invocation id to find the log lines. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  invocationId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  invocationId?: string,
  headers: Record<string, string> = {},
): HttpResponseInit {
  const body: Problem = {
    type: `urn:sspr-remediator:problem:${code.toLowerCase()}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
  };
  if (invocationId) body.invocationId = invocationId;
  return {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An error as problem+json. Server-side errors are logged with their code; 4xx are the caller's and logged at info. */
export function problemFor(err: unknown, context: InvocationContext): HttpResponseInit {
  const error = err instanceof AppError ? err : toAppError(err);
  const status = error.httpStatus;
  if (status >= 500) context.error(`${error.code}: ${error.message}`);
  else context.log(`answered ${status} ${error.code}`);
  const headers: Record<string, string> =
    error.transient || error.code === 'SCAN.TENANT_BUSY' ? { 'Retry-After': '30' } : {};
  // RFC 6750: a 401 names the scheme; a 403 for a missing role says why in the same place.
  if (error.code === 'AUTH.UNAUTHENTICATED') headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  if (error.code === 'AUTH.FORBIDDEN') headers['WWW-Authenticate'] = 'Bearer error="insufficient_scope"';
  return problem(
    status,
    error.code,
    publicMessage(error, context.invocationId),
    context.invocationId,
    headers,
  );
}

/** Runs an HTTP handler's work; whatever it throws becomes problem+json, never an unhandled 500. */
export async function answer(
  context: InvocationContext,
  work: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (err) {
    return problemFor(err, context);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json', ...headers } };
}

export function httpError(code: ErrorCode, message: string): AppError {
  return new AppError(code, message);
}
