import type { FastifyInstance } from 'fastify';
import { FilterError, parseAuditFilter } from '../auditFilter';
import { decodeCursor, encodeCursor, type Cursor } from '../auditTimeline';
import { queryOption, sendGraph, sendGraphError, sendThrottled } from '../graphReply';
import type { Tenants } from '../tenants';

export function registerAuditRoutes(app: FastifyInstance, tenants: Tenants, version: string): void {
  app.get(`/${version}/auditLogs/directoryAudits`, async (request, reply) => {
    const tenant = tenants.of(request);
    // Both identity-and-access-reports limits: per app per tenant, and per app across tenants.
    const now = Date.now();
    const waits = [tenant.throttle.check(now), tenants.appThrottle.check(now)].filter(
      (wait): wait is number => wait !== undefined,
    );
    if (waits.length > 0) {
      reply.header('Retry-After', String(Math.max(...waits)));
      return sendThrottled(request, reply);
    }
    tenant.throttle.admit(now);
    tenants.appThrottle.admit(now);

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
