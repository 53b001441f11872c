import type { FastifyInstance } from 'fastify';
import { BATCH_ITEM_HEADER } from '../graphHooks';
import { codeForStatus, sendGraph, sendGraphError } from '../graphReply';
import type { SelfDispatcher, SelfResponse } from '../selfDispatch';
import type { TenantState } from '../tenantState';
import type { Tenants } from '../tenants';

const MAX_ITEMS = 20;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

interface BatchAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export function registerBatchRoutes(
  app: FastifyInstance,
  tenants: Tenants,
  dispatcher: SelfDispatcher,
  version: string,
): void {
  app.post(`/${version}/$batch`, async (request, reply) => {
    const tenant = tenants.of(request);
    const items = batchItems(request.body);
    if (typeof items === 'string') return sendGraphError(request, reply, 400, 'BadRequest', items);

    const authorization = request.headers.authorization ?? '';
    const answers = await Promise.all(
      items.map((item) => dispatch(dispatcher, tenant, version, item, authorization)),
    );
    // Graph does not promise order, and clients that assume it break; answering reversed proves they match by id.
    return sendGraph(reply, 200, { responses: answers.reverse() });
  });
}

/** The items, or the message Graph gives when it rejects the whole batch. */
function batchItems(body: unknown): BatchItem[] | string {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests)) return 'Invalid batch payload format.';
  if (requests.length > MAX_ITEMS) return `Too many requests in a batch. Maximum allowed is ${MAX_ITEMS}.`;
  const seen = new Set<string>();
  for (const item of requests as Partial<BatchItem>[]) {
    if (typeof item?.id !== 'string' || typeof item.method !== 'string' || typeof item.url !== 'string') {
      return 'Invalid batch payload format: every request needs a string id, method and url.';
    }
    const key = item.id.toLowerCase();
    if (seen.has(key)) return `Request Id ${item.id} has to be unique in a batch.`;
    seen.add(key);
    const hasContentType = Object.keys(item.headers ?? {}).some(
      (name) => name.toLowerCase() === 'content-type',
    );
    if (item.body !== undefined && !hasContentType) {
      return `Write request id : ${item.id} does not contain Content-Type header or body.`;
    }
  }
  return requests as BatchItem[];
}

async function dispatch(
  dispatcher: SelfDispatcher,
  tenant: TenantState,
  version: string,
  item: BatchItem,
  authorization: string,
): Promise<BatchAnswer> {
  const relative = item.url.startsWith('/') ? item.url : `/${item.url}`;
  if (/^https?:/i.test(item.url) || relative.startsWith('/$batch')) {
    return {
      id: item.id,
      status: 400,
      headers: {},
      body: { error: { code: 'BadRequest', message: 'Invalid request URL.' } },
    };
  }
  const headers: Record<string, string> = { ...(item.headers ?? {}) };
  headers.authorization = authorization;
  headers[BATCH_ITEM_HEADER] = tenant.batchItemSecret;
  let response: SelfResponse;
  try {
    response = await dispatcher.send({
      method: item.method.toUpperCase(),
      path: `/${version}${relative}`,
      headers,
      body:
        item.body === undefined
          ? undefined
          : typeof item.body === 'string'
            ? item.body
            : JSON.stringify(item.body),
    });
  } catch {
    // The item's connection dropped (a reset fault); Graph reports a lost backend as a gateway timeout.
    const { code, message } = codeForStatus(504);
    return { id: item.id, status: 504, headers: {}, body: { error: { code, message } } };
  }

  const answer: BatchAnswer = { id: item.id, status: response.status, headers: {} };
  const retryAfter = response.headers['retry-after'];
  if (retryAfter !== undefined) answer.headers['Retry-After'] = String(retryAfter);
  if (response.payload) {
    answer.headers['Content-Type'] = String(response.headers['content-type'] ?? 'application/json');
    answer.body = parseOrRaw(response.payload);
  }
  return answer;
}

function parseOrRaw(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
