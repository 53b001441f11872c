import Fastify, { type FastifyInstance } from 'fastify';
import { newLogEntry, type RequestLogEntry } from './requestLog';
import type { TenantState } from './tenantState';
import { stableId } from './stableIds';

/** The managed identity's object id: `sub` of its tokens, what a federated credential names as subject. */
export function managedIdentityObjectId(tenant: TenantState): string {
  return stableId(tenant.scenario.tenantId, 'managed-identity-object');
}

const API_VERSIONS = new Set(['2019-08-01', '2017-09-01']);
const logEntries = new WeakMap<object, RequestLogEntry>();

/**
 * The App Service managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER) as msal-node's
 * AppService source calls it: GET with api-version and resource, the secret in X-IDENTITY-HEADER.
 * For a token-exchange audience (`api://AzureADTokenExchange…`) the token is a signed JWT from the
 * emulated sign-in service (`signJwt`), as a federated identity credential expects; for any other
 * resource an opaque emulator token.
 */
export function buildTokenServer(
  tenant: TenantState,
  identityHeader: string,
  signJwt?: (request: { audience: string; objectId: string; clientId: string }) => Promise<string>,
): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // msal-node labels its GET as form-encoded; accept any body type rather than answer 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    const entry = newLogEntry(request.method, request.url, false);
    tenant.requests.push(entry);
    logEntries.set(request.raw, entry);
  });
  app.addHook('onSend', async (request, reply) => {
    const entry = logEntries.get(request.raw);
    if (entry) entry.status = reply.statusCode;
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/msi/token', async (request, reply) => {
    if (request.headers['x-identity-header'] !== identityHeader) {
      return reply
        .code(401)
        .send({ statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or does not match.' });
    }
    const { resource } = request.query;
    const apiVersion = request.query['api-version'];
    if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
      return reply
        .code(400)
        .send({ statusCode: 400, message: `Unsupported or missing api-version '${apiVersion ?? ''}'.` });
    }
    if (!resource) {
      return reply.code(400).send({ statusCode: 400, message: 'The resource query parameter is required.' });
    }
    // client_id selects a user-assigned identity; the emulator has just one, and refuses any other.
    const clientId = request.query.client_id;
    if (clientId !== undefined && clientId.toLowerCase() !== tenant.managedIdentityClientId) {
      return reply.code(400).send({
        statusCode: 400,
        message:
          'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.',
      });
    }
    const exchange = signJwt && /^api:\/\/AzureADTokenExchange/i.test(resource);
    return reply.send({
      access_token: exchange
        ? await signJwt({
            audience: resource.replace(/\/+$/, ''),
            objectId: managedIdentityObjectId(tenant),
            clientId: tenant.managedIdentityClientId,
          })
        : tenant.tokens.issue(resource, tenant.scenario.tenantId),
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: 'Bearer',
      client_id: tenant.managedIdentityClientId,
    });
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ statusCode: 404, message: 'Not found.' });
  });
  return app;
}
