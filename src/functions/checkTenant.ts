import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { tenantManager } from './http/callers';
import { guidParam } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from './root';

/**
 * GET /api/tenants/{id}/check: gets a token for the tenant and makes each read a scan needs; the body
 * names every missing permission (200 either way: `ok` says whether a scan can read all it needs).
 * Tenants.Manage, because it signs in to a tenant the caller names.
 */
export async function checkTenant(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const tenantId = guidParam(request);
    const app = services();
    await tenantManager(app.apiCallers, request);
    return json(200, await app.app.checkTenant(tenantId));
  });
}

app.http('checkTenant', { ...ROUTES.checkTenant, authLevel: 'function', handler: checkTenant });
