import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from './http/callers';
import { readQuery } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from './root';
import { z } from 'zod';

/** GET /api/tenants: the registered tenants (TENANTS added first), with how each one's last scan ended. */
export async function listTenants(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const app = services();
    await callerIfConfigured(app.apiCallers, request, API_ROLES.read);
    readQuery(request, z.object({}).strict());
    const registry = await app.app.tenants();
    return json(200, { tenants: await registry.list() });
  });
}

app.http('listTenants', { ...ROUTES.listTenants, authLevel: 'function', handler: listTenants });
