import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { healthReport } from './http/healthReport';
import { answer, json } from './http/problem';
import { ROUTES } from './http/routes';
import { services, settingProblems } from './root';

/** GET /api/health: 200 when settings, state storage and the queue are fine, else 503; never a value. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answer(context, async () => {
    const report = await healthReport(settingProblems(), services);
    return json(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
  });
}

app.http('health', { ...ROUTES.health, authLevel: 'function', handler: health });
