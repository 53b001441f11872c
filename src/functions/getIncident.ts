import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from './http/callers';
import { findIncident } from './http/httpScope';
import { guidParam, incidentQuerySchema, readQuery } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from './root';
import { incidentJson } from '../usecases/resultJson';

/** GET /api/incidents/{id}?tenantId=: one incident; without tenantId, every configured tenant is searched. */
export async function getIncident(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const app = services();
    await callerIfConfigured(app.apiCallers, request, API_ROLES.read);
    const incidentId = guidParam(request);
    const { tenantId } = readQuery(request, incidentQuerySchema.pick({ tenantId: true }));
    return json(200, incidentJson(await findIncident(app, incidentId, tenantId)));
  });
}

app.http('getIncident', { ...ROUTES.getIncident, authLevel: 'function', handler: getIncident });
