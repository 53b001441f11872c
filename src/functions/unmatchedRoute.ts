import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { problem } from './http/problem';
import { ALL_METHODS, matchRoute } from './http/routes';

/**
 * `{*path}`, every method: problem+json 404 for unknown paths and 405 (with Allow) for a wrong method.
 * It never runs another route's handler: the host orders routes by function name (Azure Functions
 * routes alphabetically, not by specificity: azure-functions-host#9876), and "unmatchedRoute" sorts
 * after every other HTTP function (test/functions/registration.test.ts keeps it so), so a known route
 * with its method never gets here. Were it ever to, it answers 404 rather than act for that route.
 */
export async function unmatchedRoute(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const match = matchRoute(request.url);
  if (match && !match.allowed.includes(request.method.toUpperCase() as never)) {
    const allow = match.allowed.join(', ');
    return problem(
      405,
      'HTTP.METHOD_NOT_ALLOWED',
      `${request.method} is not allowed here; use ${allow}.`,
      context.invocationId,
      { Allow: allow },
    );
  }
  return problem(
    404,
    'HTTP.NOT_FOUND',
    `Nothing at ${new URL(request.url).pathname.slice(0, 200)}.`,
    context.invocationId,
  );
}

app.http('unmatchedRoute', {
  route: '{*path}',
  methods: ALL_METHODS,
  authLevel: 'function',
  handler: unmatchedRoute,
});
