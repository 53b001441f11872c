import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { AppError, toAppError } from '../errors';

/** RFC 9457 problem details, plus our stable `code` and the invocation id to find the log lines. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  invocationId?: string;
}

/** Errors with their own HTTP status; every other AppError is mapped by `statusFor`. */
const STATUS_BY_CODE: Record<string, number> = {
  'HTTP.BAD_JSON': 400,
  'HTTP.INVALID_REQUEST': 400,
  'HTTP.APPROVER_REQUIRED': 400,
  'HTTP.NOT_FOUND': 404,
  'HTTP.METHOD_NOT_ALLOWED': 405,
  'HTTP.PAYLOAD_TOO_LARGE': 413,
  'HTTP.UNSUPPORTED_MEDIA_TYPE': 415,
  'SCAN.MODE_NOT_ALLOWED': 403,
  'SCAN.NOT_FOUND': 404,
  'SCAN.UNKNOWN_TENANT': 422,
  'SCAN.WINDOW_INVALID': 400,
  'SCAN.TENANT_BUSY': 409,
  'INCIDENT.NOT_FOUND': 404,
  'INCIDENT.NOT_APPROVABLE': 409,
  'CONFIG.INVALID': 500,
  'AUTH.UNAUTHENTICATED': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.NOT_CONFIGURED': 503,
  'AUTH.UNAVAILABLE': 503,
  'INCIDENT.HARDENING_HOLD': 409,
  INTERNAL: 500,
};

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

/** Transient errors (throttling, storage or Graph unreachable, a lost race) are worth retrying: 503; the rest of the outside world failing: 502. */
export function statusFor(error: AppError): number {
  return STATUS_BY_CODE[error.code] ?? (error.transient ? 503 : 502);
}

/**
 * What the caller may read. CONFIG.INVALID names setting values and INTERNAL may hold anything, so
 * both get a fixed sentence; the full text goes to the function log only. AppError messages are
 * written for operators and carry no tokens or secrets.
 */
export function publicMessage(error: AppError, invocationId: string): string {
  if (error.code === 'CONFIG.INVALID') return 'The app\'s settings are invalid. GET /api/health names the settings; the function log has the details.';
  if (error.code === 'INTERNAL') return `Unexpected error. The function log has the details (invocation ${invocationId}).`;
  return error.message;
}

export function problem(status: number, code: string, detail: string, invocationId?: string, headers: Record<string, string> = {}): HttpResponseInit {
  const body: Problem = { type: `urn:sspr-remediator:problem:${code.toLowerCase()}`, title: TITLES[status] ?? 'Error', status, detail, code };
  if (invocationId) body.invocationId = invocationId;
  return { status, headers: { 'Content-Type': 'application/problem+json', ...headers }, body: JSON.stringify(body) };
}

/** An error as problem+json. Server-side errors are logged with their code; 4xx are the caller's and logged at info. */
export function problemFor(err: unknown, context: InvocationContext): HttpResponseInit {
  const error = err instanceof AppError ? err : toAppError(err);
  const status = statusFor(error);
  if (status >= 500) context.error(`${error.code}: ${error.message}`);
  else context.log(`answered ${status} ${error.code}`);
  const headers: Record<string, string> = error.transient || error.code === 'SCAN.TENANT_BUSY' ? { 'Retry-After': '30' } : {};
  // RFC 6750: a 401 names the scheme; a 403 for a missing role says why in the same place.
  if (error.code === 'AUTH.UNAUTHENTICATED') headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  if (error.code === 'AUTH.FORBIDDEN') headers['WWW-Authenticate'] = 'Bearer error="insufficient_scope"';
  return problem(status, error.code, publicMessage(error, context.invocationId), context.invocationId, headers);
}

/** Runs an HTTP handler's work; whatever it throws becomes problem+json, never an unhandled 500. */
export async function answer(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (err) {
    return problemFor(err, context);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json', ...headers } };
}

export function httpError(code: string, message: string): AppError {
  return new AppError(code, message);
}
