import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES } from './http/callers';
import { findIncident } from './http/httpScope';
import { approvalSchema, guidParam, readJsonBody } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { AppError } from '../errors';
import { services } from './root';
import { incidentJson } from '../usecases/resultJson';

/**
 * POST /api/incidents/{id}/approve {tenantId?, overrideHardening?}: an Entra ID caller with the
 * Incidents.Approve app role approves the fix, which then runs. The approver recorded is the token's
 * identity (name and object id); no header or body field can name someone else.
 */
export async function approveIncident(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const incidentId = guidParam(request);
    const app = services();
    if (!app.apiCallers) {
      throw new AppError(
        'AUTH.NOT_CONFIGURED',
        'Approvals over HTTP need an Entra ID app registration for the API: set API_AUDIENCE (docs/DEPLOY.md, "Calling the API"). Until then approve with the CLI: sspr-remediator approve <incident id> --by <name>.',
      );
    }
    const caller = await app.apiCallers.require(request, API_ROLES.approve);
    const body = await readJsonBody(request, approvalSchema);
    const incident = await findIncident(app, incidentId, body.tenantId);
    const by = `${caller.name} (${caller.oid})`;
    context.log(
      `approval of incident ${incidentId} in tenant ${incident.tenantId} by object ${caller.oid}${body.overrideHardening ? ', overriding the hardening decision' : ''}`,
    );
    return json(
      200,
      incidentJson(
        await app.app.approve(incident.tenantId, incidentId, by, {
          overrideHardening: body.overrideHardening,
        }),
      ),
    );
  });
}

app.http('approveIncident', { ...ROUTES.approveIncident, authLevel: 'function', handler: approveIncident });
