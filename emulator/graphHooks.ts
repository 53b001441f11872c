import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  GRAPH_CONTENT_TYPE,
  assignRequestIds,
  codeForStatus,
  requestIds,
  sendGraphError,
} from './graphReply';
import { newLogEntry, type RequestLogEntry } from './requestLog';
import type { TenantState } from './tenantState';
import type { Tenants } from './tenants';
import { GRAPH_AUDIENCES } from './tokens';

export const BATCH_ITEM_HEADER = 'x-emulator-batch-item';
const KNOWN_ROOTS = new Set(['auditlogs', 'policies', 'users', 'rolemanagement', '$batch']);

const logEntries = new WeakMap<object, RequestLogEntry>();

/** Cross-cutting Graph behaviour, in the order Graph's front door applies it: faults, then authentication. */
export function registerGraphHooks(app: FastifyInstance, tenants: Tenants): void {
  app.addHook('onRequest', async (request, reply) => {
    // Graph routes a request to a tenant by its token; an unknown token reaches the home tenant's 401.
    const token = bearerToken(request);
    const tenant = tenants.forToken(token);
    tenants.assign(request, tenant);
    const batchItem = request.headers[BATCH_ITEM_HEADER] === tenant.batchItemSecret;
    const entry = newLogEntry(request.method, request.url, batchItem);
    entry.tenantId = tenant.scenario.tenantId;
    tenant.requests.push(entry);
    logEntries.set(request.raw, entry);
    assignRequestIds(request);

    if (await injectFault(tenant, request, reply, batchItem)) return reply;
    const check = token === undefined ? 'unknown' : tenant.tokens.check(token, GRAPH_AUDIENCES);
    if (check !== 'valid') {
      reply.header(
        'WWW-Authenticate',
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      );
      return sendGraphError(
        request,
        reply,
        401,
        'InvalidAuthenticationToken',
        !request.headers.authorization
          ? 'Access token is empty.'
          : check === 'wrong-audience'
            ? 'Access token validation failure. Invalid audience.'
            : 'Access token validation failure.',
      );
    }
  });

  // onSend rather than onResponse: the status is recorded before the client can see the answer.
  app.addHook('onSend', async (request, reply) => {
    const entry = logEntries.get(request.raw);
    if (entry) entry.status = reply.statusCode;
    const ids = requestIds(request);
    reply.header('request-id', ids.requestId);
    reply.header('client-request-id', ids.clientRequestId);
  });

  app.setNotFoundHandler((request, reply) => {
    const segments = new URL(request.url, 'http://emulator.invalid').pathname.split('/').filter(Boolean);
    const [version, root] = segments;
    if (version !== 'v1.0' && version !== 'beta') {
      return sendGraphError(request, reply, 400, 'BadRequest', `Invalid version: ${version ?? ''}`);
    }
    const unknown =
      root === undefined || !KNOWN_ROOTS.has(root.toLowerCase()) ? root : segments[segments.length - 1];
    return sendGraphError(
      request,
      reply,
      400,
      'BadRequest',
      `Resource not found for the segment '${decodeURIComponent(unknown ?? '')}'.`,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const code = status >= 500 ? 'generalException' : 'BadRequest';
    return sendGraphError(
      request,
      reply,
      status,
      code,
      status >= 500 ? 'General exception while processing.' : error.message,
    );
  });
}

function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** True when the fault answered (or dropped) the request itself. */
async function injectFault(
  tenant: TenantState,
  request: FastifyRequest,
  reply: FastifyReply,
  batchItem: boolean,
): Promise<boolean> {
  const fault = tenant.faults.take(request.url, batchItem);
  if (!fault) return false;
  switch (fault.kind) {
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    case 'hold':
      // Answered normally once the test releases it: "this request is in flight" without a wall-clock guess.
      await tenant.faults.released;
      return false;
    case 'status': {
      const status = fault.status ?? 503;
      const { code, message } = codeForStatus(status);
      if (fault.retryAfter !== undefined) reply.header('Retry-After', String(fault.retryAfter));
      sendGraphError(request, reply, status, code, message);
      return true;
    }
    case 'malformed':
      reply.code(200).type(GRAPH_CONTENT_TYPE).send('{"value": [');
      return true;
    case 'reset':
      reply.hijack();
      request.raw.socket.destroy();
      return true;
  }
}
