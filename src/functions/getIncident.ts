import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from '../app/apiCaller';
import { findIncident } from '../app/httpScope';
import { guidParam, incidentQuerySchema, readQuery } from '../app/httpInput';
import { answer, json } from '../app/problem';
import { ROUTES } from '../app/routes';
import { services } from '../app/services';
import { incidentJson } from '../report';

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
