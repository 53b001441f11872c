import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, SignJWT } from 'jose';
import { newLogEntry } from '../requestLog';
import type { Tenants } from '../tenants';
import { checkClientAssertion, type FleetApp } from './fleetApp';

export type { FleetApp };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a test asks the emulated Entra ID to put in an access token for the app's own API. */
export interface ApiTokenRequest {
  /** `aud`: the API app registration's client id (v2 tokens carry the client id). */
  audience: string;
  /** `tid` and the issuer's tenant; defaults to the scenario's tenant. */
  tenantId?: string;
  /** App roles assigned to the caller (the `roles` claim). */
  roles?: string[];
  oid?: string;
  /** `preferred_username` (a user) ; absent for an application caller. */
  preferredUsername?: string;
  /** `app_displayname`-like name of a calling application, when no user signs in. */
  appName?: string;
  expiresInSeconds?: number;
  /** Sign with a key the published key set does not hold: a forged token. */
  forged?: boolean;
}

/** What the managed-identity endpoint asks for: a token of the home tenant's identity, for `audience`. */
export interface ManagedIdentityTokenRequest {
  audience: string;
  /** The identity's object id (`sub`, `oid`). */
  objectId: string;
  /** The identity's client id (`azp`, `appid`). */
  clientId: string;
}

export interface LoginServer {
  app: FastifyInstance;
  signApiToken(request: ApiTokenRequest): Promise<string>;
  /** A JWT as Entra ID issues to a managed identity: what a federated credential trusts. */
  signManagedIdentityToken(request: ManagedIdentityTokenRequest): Promise<string>;
  /** Set once listening: 'https://127.0.0.1:<port>'. */
  setUrl(url: string): void;
}

/**
 * The sign-in endpoint's public side, as a resource server uses it: the OpenID configuration and the
 * signing keys per tenant (v2.0). Tokens are minted here for tests, signed RS256 with a key published
 * under its `kid`, issuer `{host}/{tenant}/v2.0`, as Entra ID issues v2 access tokens.
 */
export function buildLoginServer(
  tenants: Tenants,
  tls: { key: string; cert: string },
  fleetApp?: FleetApp,
): LoginServer {
  const tenant = tenants.home;
  const app = Fastify({
    https: tls,
    logger: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  const kid = randomUUID();
  // RS256 needs RSA keys, whose generation costs 0.3–2 s of CPU each: made on first use (most tests
  // never call the app's own API), off the event loop, and once per emulator.
  const keyPair = lazyRsaKeyPair();
  const forgerKeyPair = lazyRsaKeyPair();
  let url = '';

  app.addHook('onRequest', async (request) => {
    tenant.requests.push(newLogEntry(request.method, request.url, false));
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/discovery/v2.0/keys', async (request, reply) => {
    if (!GUID.test(request.params.tenant)) return unknownTenant(reply, request.params.tenant);
    const jwk = await exportJWK((await keyPair()).publicKey);
    return reply.send({ keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] });
  });

  app.get<{ Params: { tenant: string } }>(
    '/:tenant/v2.0/.well-known/openid-configuration',
    async (request, reply) => {
      const id = request.params.tenant;
      if (!GUID.test(id)) return unknownTenant(reply, id);
      return reply.send({
        issuer: `${url}/${id}/v2.0`,
        jwks_uri: `${url}/${id}/discovery/v2.0/keys`,
        token_endpoint: `${url}/${id}/oauth2/v2.0/token`,
        authorization_endpoint: `${url}/${id}/oauth2/v2.0/authorize`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    },
  );

  // Client credentials (application permissions), as msal-node's confidential client sends them: a
  // form POST with client_id, scope `{resource}/.default`, grant_type client_credentials, and either
  // client_secret or client_assertion (a certificate-signed JWT, or a federated managed-identity token).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.post<{ Params: { tenant: string }; Body: Record<string, string | undefined> }>(
    '/:tenant/oauth2/v2.0/token',
    async (request, reply) => {
      const id = request.params.tenant.toLowerCase();
      const target = GUID.test(id) ? tenants.get(id) : undefined;
      if (!target) return unknownTenant(reply, id);
      const form = request.body ?? {};
      if (form.grant_type !== 'client_credentials') {
        return tokenError(
          reply,
          400,
          'unsupported_grant_type',
          'AADSTS70003: The app requested an unsupported grant type.',
        );
      }
      if (!fleetApp || form.client_id !== fleetApp.clientId) {
        return tokenError(
          reply,
          400,
          'unauthorized_client',
          `AADSTS700016: Application with identifier '${(form.client_id ?? '').slice(0, 64)}' was not found in the directory '${id}'.`,
        );
      }
      if (form.client_assertion !== undefined) {
        const refusal = await checkClientAssertion(form.client_assertion_type, form.client_assertion, {
          fleetApp,
          tokenEndpoint: `${url}/${id}/oauth2/v2.0/token`,
          managedIdentityIssuer: `${url}/${tenant.scenario.tenantId}/v2.0`,
          signingKey: (await keyPair()).publicKey,
        });
        if (refusal) return tokenError(reply, refusal.status, refusal.error, refusal.description);
      } else if (form.client_secret === undefined) {
        return tokenError(
          reply,
          401,
          'invalid_client',
          "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      } else if (form.client_secret !== fleetApp.clientSecret) {
        return tokenError(reply, 401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      }
      if (fleetApp.withoutConsent.has(id)) {
        return tokenError(
          reply,
          400,
          'unauthorized_client',
          `AADSTS700016: Application with identifier '${fleetApp.clientId}' was not found in the directory '${id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
        );
      }
      const scope = form.scope ?? '';
      if (!/^\S+\/\.default$/.test(scope)) {
        return tokenError(
          reply,
          400,
          'invalid_scope',
          `AADSTS1002012: The provided value for scope ${scope.slice(0, 100)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      return reply.send({
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: target.tokens.issue(scope.replace(/\/\.default$/, ''), id),
      });
    },
  );

  return {
    app,
    setUrl: (value) => {
      url = value;
    },
    signManagedIdentityToken: async (request) => {
      const tid = tenant.scenario.tenantId;
      return new SignJWT({
        tid,
        oid: request.objectId,
        azp: request.clientId,
        appid: request.clientId,
        ver: '2.0',
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(`${url}/${tid}/v2.0`)
        .setAudience(request.audience)
        .setSubject(request.objectId)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('3600s')
        .sign((await keyPair()).privateKey);
    },
    signApiToken: async (token) => {
      const tid = token.tenantId ?? tenant.scenario.tenantId;
      const oid = token.oid ?? randomUUID();
      const key: KeyObject = (await (token.forged ? forgerKeyPair : keyPair)()).privateKey;
      const claims: Record<string, unknown> = {
        tid,
        oid,
        ver: '2.0',
        azp: randomUUID(),
        roles: token.roles ?? [],
      };
      if (token.preferredUsername) claims.preferred_username = token.preferredUsername;
      if (token.appName) claims.app_displayname = token.appName;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(`${url}/${tid}/v2.0`)
        .setAudience(token.audience)
        .setSubject(oid)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(`${token.expiresInSeconds ?? 3600}s`)
        .sign(key);
    },
  };
}

function lazyRsaKeyPair(): () => Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  let pending: Promise<{ publicKey: KeyObject; privateKey: KeyObject }> | undefined;
  return () =>
    (pending ??= new Promise((resolve, reject) =>
      generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) =>
        err ? reject(err) : resolve({ publicKey, privateKey }),
      ),
    ));
}

function tokenError(
  reply: import('fastify').FastifyReply,
  status: number,
  error: string,
  description: string,
) {
  return reply.code(status).send({
    error,
    error_description: description,
    error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1])],
  });
}

function unknownTenant(reply: import('fastify').FastifyReply, id: string) {
  return reply.code(400).send({
    error: 'invalid_tenant',
    error_description: `AADSTS90002: Tenant '${id.slice(0, 64)}' not found.`,
  });
}
