import type { FastifyInstance } from 'fastify';
import { FilterError, parseAuditFilter } from '../auditFilter';
import { decodeCursor, encodeCursor, type Cursor } from '../auditTimeline';
import { queryOption, sendGraph, sendGraphError } from '../graphReply';
import type { TenantState } from '../tenantState';

export function registerAuditRoutes(app: FastifyInstance, tenant: TenantState, version: string): void {
  app.get(`/${version}/auditLogs/directoryAudits`, async (request, reply) => {
    const retryAfter = tenant.throttle.tryAdmit();
    if (retryAfter !== undefined) {
      reply.header('Retry-After', String(retryAfter));
      return sendGraphError(request, reply, 429, 'TooManyRequests', 'Too many requests.');
    }

    const filterText = queryOption(request, '$filter');
    let filter;
    try {
      filter = parseAuditFilter(filterText);
    } catch (err) {
      if (err instanceof FilterError) return sendGraphError(request, reply, 400, 'BadRequest', err.message);
      throw err;
    }

    const topText = queryOption(request, '$top');
    const top = topText === undefined ? undefined : Number(topText);
    if (top !== undefined && (!Number.isInteger(top) || top < 1)) {
      return sendGraphError(
        request,
        reply,
        400,
        'BadRequest',
        `Invalid value '${topText}' for query option $top.`,
      );
    }

    const skipToken = queryOption(request, '$skiptoken');
    let after: Cursor | undefined;
    if (skipToken !== undefined) {
      after = decodeCursor(skipToken);
      if (!after) return sendGraphError(request, reply, 400, 'BadRequest', 'The skip token is invalid.');
    }

    const size = Math.min(top ?? Infinity, tenant.scenario.pageSize);
    const page = tenant.timeline.page(filter, after, size);
    const base = `${tenant.graphUrl}/${version}`;
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#auditLogs/directoryAudits`,
      value: page.items,
    };
    if (page.next)
      body['@odata.nextLink'] = nextLink(`${base}/auditLogs/directoryAudits`, filterText, topText, page.next);
    return sendGraph(reply, 200, body);
  });
}

function nextLink(
  resource: string,
  filter: string | undefined,
  top: string | undefined,
  next: Cursor,
): string {
  const parts: string[] = [];
  if (filter !== undefined) parts.push(`$filter=${encodeURIComponent(filter)}`);
  if (top !== undefined) parts.push(`$top=${encodeURIComponent(top)}`);
  parts.push(`$skiptoken=${encodeCursor(next)}`);
  return `${resource}?${parts.join('&')}`;
}
