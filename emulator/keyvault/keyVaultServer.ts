import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { SECRET_MARKER, type TokenRegistry } from '../tokens';

/**
 * The resources Key Vault tokens are issued for, in each national cloud (Azure: vault.azure.net, US
 * Government: vault.usgovcloudapi.net, China: vault.azure.cn). The vault accepts any of them, as the
 * emulator stands in for whichever cloud AZURE_CLOUD names.
 */
export const KEY_VAULT_AUDIENCES = [
  'https://vault.azure.net',
  'https://vault.usgovcloudapi.net',
  'https://vault.azure.cn',
];

// Versions the Secrets API answers; anything else is refused as Key Vault does (400).
const API_VERSIONS = new Set(['2016-10-01', '7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6']);
const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;

export interface KeyVaultRequest {
  method: string;
  /** The secret name asked for ('' for other paths). */
  name: string;
  status: number;
}

/** The fake vault's state: its secrets, whether the app's identity may read them, what it was asked. */
export class FakeKeyVault {
  private readonly secrets = new Map<string, { value: string; version: string; created: number }>();
  /** False: every read answers 403, as for an identity without Key Vault Secrets User. */
  allowed = true;
  readonly requests: KeyVaultRequest[] = [];
  /** Set: the next read answers 307 to this location (a hostile or misconfigured vault), then it is cleared. */
  redirectTo: string | undefined;

  constructor(seed: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(seed)) this.setSecret(name, value);
  }

  /** Stores a new version. Values must carry SECRET_MARKER, so a leak anywhere fails the test that made it. */
  setSecret(name: string, value: string): void {
    if (!SECRET_NAME.test(name)) throw new Error(`"${name}" is not a Key Vault secret name.`);
    if (!value.includes(SECRET_MARKER))
      throw new Error(`The emulator's Key Vault secrets must contain ${SECRET_MARKER} (secret hygiene).`);
    this.secrets.set(name.toLowerCase(), {
      value,
      version: randomBytes(16).toString('hex'),
      created: Math.floor(Date.now() / 1000),
    });
  }

  deleteSecret(name: string): void {
    this.secrets.delete(name.toLowerCase());
  }

  /** How many reads of `name` reached the vault. */
  readsOf(name: string): number {
    return this.requests.filter((request) => request.name === name && request.method === 'GET').length;
  }

  get(name: string) {
    // Key Vault names are case-insensitive.
    return this.secrets.get(name.toLowerCase());
  }
}

/**
 * Key Vault's Secrets API as the app calls it: `GET /secrets/{name}?api-version=…` with a bearer token
 * for the vault's resource (from the emulator's managed-identity endpoint). Answers and error bodies
 * follow Key Vault's: 401 with the WWW-Authenticate challenge, 403 Forbidden (ForbiddenByRbac), 404
 * SecretNotFound, 400 for a missing or unknown api-version.
 */
export function buildKeyVaultServer(
  tls: { key: string; cert: string },
  vault: FakeKeyVault,
  tokens: TokenRegistry,
  tenantId: string,
): { app: FastifyInstance; setUrl(url: string): void } {
  const app = Fastify({
    https: tls,
    logger: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  let vaultUrl = 'https://kv-emulator.vault.azure.net';
  const challenge = `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`;

  const fail = (reply: FastifyReply, status: number, code: string, message: string, inner?: string) =>
    reply.code(status).send({ error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });

  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    '/secrets/:name',
    async (request, reply) => {
      const { name } = request.params;
      const logged: KeyVaultRequest = { method: 'GET', name, status: 0 };
      vault.requests.push(logged);
      reply.raw.once('finish', () => (logged.status = reply.statusCode));

      if (vault.redirectTo) {
        const location = vault.redirectTo;
        vault.redirectTo = undefined;
        return reply.code(307).header('Location', location).send();
      }
      const apiVersion = request.query['api-version'];
      if (!apiVersion) {
        return fail(
          reply,
          400,
          'BadParameter',
          'The request URI contains an invalid or missing api-version.',
        );
      }
      if (!API_VERSIONS.has(apiVersion)) {
        return fail(
          reply,
          400,
          'BadParameter',
          `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (7.6).`,
        );
      }
      const authorization = request.headers.authorization ?? '';
      const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
      if (!token) {
        reply.header('WWW-Authenticate', challenge);
        return fail(reply, 401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
      }
      const checked = tokens.check(token, KEY_VAULT_AUDIENCES);
      if (checked !== 'valid') {
        reply.header('WWW-Authenticate', challenge);
        return fail(
          reply,
          401,
          'Unauthorized',
          checked === 'wrong-audience'
            ? 'AKV10022: Invalid audience. Expected https://vault.azure.net.'
            : 'AKV10032: Invalid issuer or the token was not issued for this tenant.',
        );
      }
      if (!vault.allowed) {
        return fail(
          reply,
          403,
          'Forbidden',
          `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nAssignment: (not found)\r\n`,
          'ForbiddenByRbac',
        );
      }
      const secret = SECRET_NAME.test(name) ? vault.get(name) : undefined;
      if (!secret) {
        return fail(
          reply,
          404,
          'SecretNotFound',
          `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
        );
      }
      return reply.send({
        value: secret.value,
        id: `${vaultUrl}/secrets/${name}/${secret.version}`,
        attributes: {
          enabled: true,
          created: secret.created,
          updated: secret.created,
          recoveryLevel: 'Recoverable+Purgeable',
          recoverableDays: 90,
        },
        tags: {},
      });
    },
  );

  app.setNotFoundHandler((request, reply) => {
    vault.requests.push({ method: request.method, name: '', status: 404 });
    return fail(
      reply,
      404,
      'NotFound',
      `The resource ${request.url.split('?')[0]} does not exist in the emulator.`,
    );
  });
  return { app, setUrl: (url) => (vaultUrl = url) };
}
