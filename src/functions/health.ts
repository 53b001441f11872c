import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { healthReport } from '../app/healthReport';
import { answer, json } from '../app/problem';
import { ROUTES } from '../app/routes';
import { services } from '../app/services';

/** GET /api/health: 200 when settings, state storage and the queue are fine, else 503; never a value. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const report = await healthReport(process.env, services);
    return json(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
  });
}

app.http('health', { ...ROUTES.health, authLevel: 'function', handler: health });
