import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from '../app/apiCaller';
import { guidParam } from '../app/httpInput';
import { answer, json } from '../app/problem';
import { ROUTES } from '../app/routes';
import { services } from '../app/services';
import { AppError } from '../errors';

/** GET /api/scans/{id}: queued | running | succeeded | failed | skipped-busy, with the result. */
export async function scanStatus(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const app = services();
    await callerIfConfigured(app.apiCallers, request, API_ROLES.read);
    const scanId = guidParam(request);
    const record = await app.scans.get(scanId);
    if (!record)
      throw new AppError(
        'SCAN.NOT_FOUND',
        `No scan ${scanId}. POST /api/scans starts one and answers its id.`,
      );
    return json(200, record);
  });
}

app.http('scanStatus', { ...ROUTES.scanStatus, authLevel: 'function', handler: scanStatus });
