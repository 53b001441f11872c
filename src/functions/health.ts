import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { healthReport } from '../healthReport';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services } from '../composition';

/** GET /api/health: 200 when settings, state storage and the queue are fine, else 503; never a value. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const report = await healthReport(process.env, services);
    return json(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
  });
}

app.http('health', { ...ROUTES.health, authLevel: 'function', handler: health });
