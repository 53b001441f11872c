import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from './http/callers';
import { tenantsOf } from './http/httpScope';
import { incidentQuerySchema, readQuery } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from './root';
import { incidentJson } from '../usecases/resultJson';

/** GET /api/incidents?state=&tenantId=: unresolved incidents of the registered tenants by default. */
export async function listIncidents(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const app = services();
    await callerIfConfigured(app.apiCallers, request, API_ROLES.read);
    const query = readQuery(request, incidentQuerySchema);
    const tenants = await tenantsOf(app, query.tenantId);
    const all = query.state === 'resolved';
    const lists = await Promise.all(tenants.map((tenant) => app.app.state.listIncidents(tenant, { all })));
    const incidents = lists
      .flat()
      .filter((incident) => query.state === undefined || incident.state === query.state);
    return json(200, { incidents: incidents.map(incidentJson) });
  });
}

app.http('listIncidents', { ...ROUTES.listIncidents, authLevel: 'function', handler: listIncidents });
