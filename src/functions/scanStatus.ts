import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { API_ROLES, callerIfConfigured } from './http/callers';
import { guidParam } from './http/httpInput';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { AppError } from '../errors';
import { services } from './root';

/** GET /api/scans/{id}: queued | running | succeeded | failed | skipped-busy | skipped-disabled | skipped-unregistered, with the result. */
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
