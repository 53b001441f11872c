import type { TokenCredential } from '@azure/identity';
import { AppError } from '../../errors';
import { isKeyVaultSecretName } from '../../core/ticketRouting';
import { RETRYABLE_STATUS, retryDelayMs } from '../http/retryPolicy';
import { isRedirectRefusal } from '../http/redirects';
import { credentialsTried } from '../auth/credentialFailure';

/**
 * Reads secrets from the deployment's own Key Vault through its REST API (`GET {vault}secrets/{name}
 * ?api-version=7.4`), with the home credential and a token for the vault's scope. One GET with our
 * retry policy is all it takes, so no @azure/keyvault-secrets (docs/ARCHITECTURE.md, issue 15).
 *
 * Only names are accepted, never URIs: the vault is KEY_VAULT_URI, so whoever edits the tenant registry
 * cannot send the app's Key Vault token elsewhere. Values are cached briefly per name (a ticket event
 * reads one per scan; a rotated secret is seen within the TTL). Errors name the secret and the fix,
 * never its value.
 */

export const KEY_VAULT_API_VERSION = '7.4';
const DEFAULT_TTL_MS = 5 * 60_000;
const ATTEMPT_TIMEOUT_MS = 15_000;

export interface KeyVaultSettings {
  /** KEY_VAULT_URI, ending in '/': https://kv-x.vault.azure.net/ */
  vaultUri: string;
  /** The national cloud's Key Vault resource, e.g. https://vault.azure.net (its /.default scope is asked for). */
  audience: string;
}

export interface KeyVaultOptions {
  ttlMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class KeyVaultSecrets {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly credential: TokenCredential,
    private readonly settings: KeyVaultSettings,
    private readonly options: KeyVaultOptions = {},
  ) {}

  /** The secret's current value; TICKET.SECRET_UNAVAILABLE (naming the secret and the fix) when it cannot be read. */
  async read(name: string): Promise<string> {
    if (!isKeyVaultSecretName(name)) {
      throw unavailable(name, 'is not a Key Vault secret name (1–127 letters, digits and "-")', false);
    }
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(name);
    if (cached && cached.until > now) return cached.value;
    const value = await this.fetch(name);
    this.cache.set(name, { value, until: now + (this.options.ttlMs ?? DEFAULT_TTL_MS) });
    return value;
  }

  private async fetch(name: string): Promise<string> {
    const url = `${this.settings.vaultUri}secrets/${name}?api-version=${KEY_VAULT_API_VERSION}`;
    const attempts = this.options.maxAttempts ?? 4;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    const backoff = { baseMs: this.options.backoffBaseMs ?? 500, capMs: 30_000 };
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      const token = await this.token(name);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
          // A redirect would carry the token elsewhere.
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS),
        });
      } catch (err) {
        if (isRedirectRefusal(err)) {
          throw unavailable(
            name,
            `could not be read: Key Vault at ${new URL(url).origin} answered with a redirect, which is not followed (it would carry the token elsewhere). Set KEY_VAULT_URI to the vault's own address`,
            false,
          );
        }
        if (last) {
          throw unavailable(
            name,
            `could not be read: Key Vault at ${new URL(url).origin} did not answer (${(err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message}). Check KEY_VAULT_URI and the vault's network access`,
            true,
          );
        }
        await sleep(retryDelayMs(attempt, undefined, backoff));
        continue;
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) {
        const value = (body as { value?: unknown } | undefined)?.value;
        if (typeof value !== 'string' || value === '') throw unavailable(name, 'has no value', false);
        return value;
      }
      if (RETRYABLE_STATUS.has(response.status) && !last) {
        await sleep(retryDelayMs(attempt, response.headers.get('Retry-After'), backoff));
        continue;
      }
      throw unavailable(name, reason(response.status, name), RETRYABLE_STATUS.has(response.status));
    }
  }

  private async token(name: string): Promise<string> {
    try {
      const token = await this.credential.getToken(`${this.settings.audience}/.default`);
      if (token) return token.token;
    } catch (err) {
      throw unavailable(name, `could not be read: no token for Key Vault (${credentialsTried(err)})`, true);
    }
    throw unavailable(name, 'could not be read: no token for Key Vault', true);
  }
}

function reason(status: number, name: string): string {
  switch (status) {
    case 401:
      return "could not be read: Key Vault refused the token (401). Check that KEY_VAULT_URI is in the same tenant and cloud as the app's identity";
    case 403:
      return "could not be read: the app's identity may not read secrets (403). Grant it the Key Vault Secrets User role on the vault (or an access policy with Get on secrets)";
    case 404:
      return `does not exist in KEY_VAULT_URI (404). Create it: az keyvault secret set --vault-name <vault> --name ${name} --value <https URL>`;
    default:
      return `could not be read: Key Vault answered ${status}`;
  }
}

function unavailable(name: string, why: string, transient: boolean): AppError {
  return new AppError('TICKET.SECRET_UNAVAILABLE', `The Key Vault secret "${name}" ${why}.`, { transient });
}
