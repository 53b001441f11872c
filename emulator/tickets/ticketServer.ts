import Fastify, { type FastifyInstance } from 'fastify';
import { registerAzureDevOpsRoutes } from './azureDevOpsRoutes';
import { registerGithubRoutes } from './githubRoutes';
import { registerJiraRoutes } from './jiraRoutes';
import { registerServicenowRoutes } from './servicenowRoutes';
import { TicketFakeState } from './ticketFakeState';
import { registerWebhookRoutes } from './webhookRoutes';

export type TicketFakes = TicketFakeState;

const SYSTEM_BY_PREFIX: Record<string, string> = {
  servicenow: 'servicenow',
  jira: 'jira',
  ado: 'azuredevops',
  github: 'github',
  webhook: 'webhook',
};

/**
 * Fakes of ServiceNow (/servicenow), Jira Cloud (/jira), Azure DevOps (/ado), GitHub Issues (/github)
 * and a generic webhook receiver (/webhook), each speaking its documented wire format.
 */
export function buildTicketServer(tls: { key: string; cert: string }): {
  app: FastifyInstance;
  fakes: TicketFakes;
} {
  const app = Fastify({
    https: tls,
    logger: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  const state = new TicketFakeState();
  // A silenced request is logged, takes no effect and is never answered: the connection stays open
  // until the client gives up or the server closes.
  app.addHook('onRequest', async (request, reply) => {
    const system = SYSTEM_BY_PREFIX[request.url.split('/')[1] ?? ''];
    if (system === undefined || !state.takeSilence(system)) return;
    state.requests.push({
      system,
      method: request.method,
      path: request.url,
      status: 0,
      headers: {},
      body: null,
    });
    reply.hijack();
    return reply;
  });
  // A late request (lateNext) is parsed, then held unanswered until the client closes the connection,
  // and only then handled: its effect lands, its answer goes nowhere.
  app.addHook('preHandler', async (request, reply) => {
    const system = SYSTEM_BY_PREFIX[request.url.split('/')[1] ?? ''];
    if (system === undefined || !state.takeLate(system, request.method)) return;
    state.held += 1;
    await new Promise<void>((resolve) => reply.raw.once('close', () => resolve()));
    state.held -= 1;
  });
  app.register(async (scope) => registerServicenowRoutes(scope, state), { prefix: '/servicenow' });
  app.register(async (scope) => registerJiraRoutes(scope, state), { prefix: '/jira' });
  app.register(async (scope) => registerAzureDevOpsRoutes(scope, state), { prefix: '/ado' });
  app.register(async (scope) => registerGithubRoutes(scope, state), { prefix: '/github' });
  app.register(async (scope) => registerWebhookRoutes(scope, state), { prefix: '/webhook' });
  return { app, fakes: state };
}
