import { app, HttpRequest, type HttpHandler, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { answer, problem } from '../app/problem';
import { ALL_METHODS, matchRoute, type RouteName } from '../app/routes';
import { approveIncident } from './approveIncident';
import { getIncident } from './getIncident';
import { health } from './health';
import { listIncidents } from './listIncidents';
import { scanStatus } from './scanStatus';
import { startScan } from './startScan';

const HANDLERS: Record<RouteName, HttpHandler> = { startScan, scanStatus, listIncidents, getIncident, approveIncident, health };

/**
 * `{*path}`, every method: problem+json 404 for unknown paths and 405 (with Allow) for a wrong method.
 * The host matches routes in registration order, not by specificity, so this may also be picked for a
 * known route and method: then it hands the request to that route's handler, with its parameters.
 */
export async function unmatchedRoute(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const match = matchRoute(request.url);
  if (!match) return problem(404, 'HTTP.NOT_FOUND', `Nothing at ${new URL(request.url).pathname.slice(0, 200)}.`, context.invocationId);
  if (!match.allowed.includes(request.method.toUpperCase() as never)) {
    const allow = match.allowed.join(', ');
    return problem(405, 'HTTP.METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow}.`, context.invocationId, { Allow: allow });
  }
  return answer(context, async () => HANDLERS[match.name](await withParams(request, match.params), context) as Promise<HttpResponseInit>);
}

async function withParams(request: HttpRequest, params: Record<string, string>): Promise<HttpRequest> {
  const body = ['GET', 'HEAD'].includes(request.method.toUpperCase()) ? undefined : { bytes: new Uint8Array(await request.arrayBuffer()) };
  return new HttpRequest({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), params, body });
}

app.http('unmatchedRoute', { route: '{*path}', methods: ALL_METHODS, authLevel: 'function', handler: unmatchedRoute });
