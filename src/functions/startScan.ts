import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { enqueueScan } from '../usecases/enqueueScan';
import { API_ROLES, callerIfConfigured } from './http/callers';
import { tenantOf } from './http/httpScope';
import { readJsonBody, scanRequestSchema } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTE_PREFIX, ROUTES } from './http/routes';
import { parseIsoTime } from '../core/scanMessage';
import { AppError } from '../errors';
import { planWindow } from '../core/window';
import { modeRisk } from '../core/modes';
import { services } from './root';

/** POST /api/scans {tenantId?, from?, to?, mode?} → 202, Location: /api/scans/{id}. Scans.Run when API_AUDIENCE is set. */
export async function startScan(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const app = services();
    const caller = await callerIfConfigured(app.apiCallers, request, API_ROLES.runScans);
    const body = await readJsonBody(request, scanRequestSchema);
    const tenantId = await tenantOf(app, body.tenantId);
    const configured = app.config.actionMode;
    if (body.mode && modeRisk(body.mode) > modeRisk(configured)) {
      throw new AppError(
        'SCAN.MODE_NOT_ALLOWED',
        `mode ${body.mode} acts more than ACTION_MODE (${configured}) allows; ask for ${configured} or a safer mode.`,
      );
    }
    // The scan's own window rules (not in the future, not past the retention), before anything is queued.
    if (body.from || body.to)
      planWindow({
        now: new Date(),
        from: at(body.from),
        to: at(body.to),
        lookbackMs: app.config.lookbackMs,
        overlapMs: app.config.overlapMs,
      });
    const scanId = await enqueueScan(app, {
      tenantId,
      requestedBy: 'http',
      principal: caller && `${caller.name} (${caller.oid})`,
      mode: body.mode,
      from: body.from,
      to: body.to,
    });
    const location = `/${ROUTE_PREFIX}/scans/${scanId}`;
    context.log(`queued scan ${scanId} of tenant ${tenantId} for an HTTP request`);
    return json(202, { scanId, tenantId, status: 'queued', location }, { Location: location });
  });
}

const at = (text: string | undefined) => (text === undefined ? undefined : parseIsoTime(text));

app.http('startScan', { ...ROUTES.startScan, authLevel: 'function', handler: startScan });
