import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

// Keyed by the raw request so fastify's request type needs no global augmentation.
const ids = new WeakMap<object, RequestIds>();

export function assignRequestIds(request: FastifyRequest): RequestIds {
  const echoed = request.headers['client-request-id'];
  const assigned = {
    requestId: randomUUID(),
    clientRequestId: typeof echoed === 'string' && echoed ? echoed : randomUUID(),
  };
  ids.set(request.raw, assigned);
  return assigned;
}

export function requestIds(request: FastifyRequest): RequestIds {
  return ids.get(request.raw) ?? assignRequestIds(request);
}

export function sendGraph(reply: FastifyReply, status: number, body?: unknown): FastifyReply {
  reply.code(status);
  if (body === undefined) return reply.send();
  return reply.type(GRAPH_CONTENT_TYPE).send(JSON.stringify(body));
}

export function graphErrorBody(request: FastifyRequest, code: string, message: string): object {
  const { requestId, clientRequestId } = requestIds(request);
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

export function sendGraphError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return sendGraph(reply, status, graphErrorBody(request, code, message));
}

/**
 * A 429 in the shape Microsoft's throttling guidance documents ("Microsoft Graph throttling
 * guidance", sample response): `TooManyRequests`, "Please retry again later.", and an innerError with
 * code "429", status "429", message "Please retry after", date and request ids. Retry-After is set by
 * the caller.
 */
export function sendThrottled(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { requestId, clientRequestId } = requestIds(request);
  return sendGraph(reply, 429, {
    error: {
      code: 'TooManyRequests',
      innerError: {
        code: '429',
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        message: 'Please retry after',
        'request-id': requestId,
        'client-request-id': clientRequestId,
        status: '429',
      },
      message: 'Please retry again later.',
    },
  });
}

/** Graph's own code for a bare status, used where a scenario only names the status. */
export function codeForStatus(status: number): { code: string; message: string } {
  switch (status) {
    case 400:
      return { code: 'BadRequest', message: 'The request is malformed or incorrect.' };
    case 401:
      return { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' };
    case 403:
      return {
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      };
    case 404:
      return { code: 'Request_ResourceNotFound', message: 'The requested resource does not exist.' };
    case 429:
      return { code: 'TooManyRequests', message: 'Too many requests.' };
    case 502:
      return { code: 'BadGateway', message: 'The service is unreachable.' };
    case 503:
      return {
        code: 'ServiceUnavailable',
        message: 'The service is temporarily unavailable. Please retry later.',
      };
    case 504:
      return { code: 'GatewayTimeout', message: 'The request timed out waiting for the service.' };
    default:
      return {
        code: status >= 500 ? 'generalException' : 'BadRequest',
        message: `The request failed with status ${status}.`,
      };
  }
}

/** OData system query options are case-insensitive in Graph; the first occurrence wins. */
export function queryOption(request: FastifyRequest, name: string): string | undefined {
  const params = new URL(request.url, 'http://emulator.invalid').searchParams;
  for (const [key, value] of params) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}
