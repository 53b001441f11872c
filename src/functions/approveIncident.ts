import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { findIncident, principalOf } from '../app/httpScope';
import { approvalSchema, guidParam, readJsonBody } from '../app/httpInput';
import { answer, httpError, json } from '../app/problem';
import { ROUTES } from '../app/routes';
import { services } from '../app/services';
import { incidentJson } from '../report';

/**
 * POST /api/incidents/{id}/approve {tenantId?, by?}: records the approver and runs the fix. The
 * approver is the App Service authentication principal when there is one, else `by`.
 */
export async function approveIncident(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const incidentId = guidParam(request);
    const body = await readJsonBody(request, approvalSchema);
    const by = principalOf(request) ?? body.by;
    if (!by) throw httpError('HTTP.APPROVER_REQUIRED', 'Say who approves: sign in through App Service authentication, or send {"by": "<name or UPN>"}.');
    const app = services();
    const incident = await findIncident(app, incidentId, body.tenantId);
    context.log(`approval of incident ${incidentId} in tenant ${incident.tenantId} recorded`);
    return json(200, incidentJson(await app.app().approve(incident.tenantId, incidentId, by)));
  });
}

app.http('approveIncident', { ...ROUTES.approveIncident, authLevel: 'function', handler: approveIncident });
