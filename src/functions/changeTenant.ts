import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { tenantManager } from './http/callers';
import { guidParam, readJsonBody, tenantBodySchema } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from './root';
import { putTenant, removeTenant } from '../usecases/tenantRegistry';

/**
 * PUT /api/tenants/{id} {name?, enabled?, modeCap?, routing?}: adds the tenant or changes the fields
 * given. DELETE /api/tenants/{id}: removes one TENANTS does not list. Both need an Entra ID caller
 * with Tenants.Manage; the registry records that caller (name and object id), never a body field.
 */
export async function changeTenant(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const tenantId = guidParam(request);
    const app = services();
    const caller = await tenantManager(app.apiCallers, request);
    const registry = await app.app.tenants();
    if (request.method === 'DELETE') {
      await removeTenant(registry, app.config.tenants, tenantId);
      context.log(`tenant ${tenantId} removed from the registry by object ${caller.oid}`);
      return { status: 204 };
    }
    const body = await readJsonBody(request, tenantBodySchema);
    const { addedBy: _refused, ...input } = body;
    const tenant = await putTenant(registry, app.config, tenantId, input, `${caller.name} (${caller.oid})`);
    context.log(`tenant ${tenantId} put in the registry by object ${caller.oid}`);
    return json(200, tenant);
  });
}

app.http('changeTenant', { ...ROUTES.changeTenant, authLevel: 'function', handler: changeTenant });
