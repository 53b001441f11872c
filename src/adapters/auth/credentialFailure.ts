import { AppError, clip } from '../../errors';

/**
 * @azure/identity's errors: retrying the request does not help, signing in does. A tenant that never
 * consented to the app answers client credentials with AADSTS700016 `unauthorized_client`, which
 * msal-node reports as AuthenticationRequiredError: without it here, that tenant read as "Graph
 * unreachable", transient, and was retried six times (issue 15, found by test/integration/fleet.test.ts).
 */
export function isCredentialFailure(err: unknown): boolean {
  return (
    err instanceof Error &&
    /^(CredentialUnavailableError|AuthenticationError|AggregateAuthenticationError|AuthenticationRequiredError)$/.test(
      err.name,
    )
  );
}

/**
 * Which credentials were tried and why each failed, one clause each ("EnvironmentCredential is
 * unavailable; ManagedIdentityCredential: Network unreachable; Azure CLI could not be found; …").
 * DefaultAzureCredential's own message repeats every credential's full advice (about 1,500
 * characters); the first sentence of each names the credential and what was missing.
 */
export function credentialsTried(err: unknown): string {
  const inner = (err as { errors?: unknown } | undefined)?.errors;
  const tried = Array.isArray(inner) && inner.length > 0 ? inner : [err];
  return tried.map((each) => firstSentence(each instanceof Error ? each.message : String(each))).join('; ');
}

function firstSentence(message: string): string {
  const text = message
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(Error: )+/, '');
  const sentence = /^.+?[.!?](?= |$)/.exec(text)?.[0] ?? text;
  return clip(sentence.replace(/[.!?]$/, ''), 160);
}

/**
 * No federated identity credential of the app registration matches the managed identity's token:
 * AADSTS70021, and AADSTS700211/700212/700213 naming the issuer, audience or subject that matched
 * nothing (AADSTS7002138: the subject matches only ignoring case; the comparison is case-sensitive).
 */
const NO_FEDERATION = /AADSTS(70021|700211|700212|700213|7002138)\b/;

/**
 * A credential failure as the error the caller sees: `what` names the resource ("Microsoft Graph").
 * A federated credential that matches nothing says how to fix the trust; everything else is
 * AUTH.NO_TOKEN with the credentials tried and the usual ways to get a token.
 */
export function tokenFailure(err: unknown, what: string): AppError {
  const tried = credentialsTried(err);
  const code = NO_FEDERATION.exec(fullText(err))?.[0];
  const error = code
    ? new AppError(
        'AUTH.NO_FEDERATION',
        `No token for ${what}: the app registration FLEET_CLIENT_ID has no federated identity credential matching the managed identity's token (${code}). Add one with issuer {sign-in host}/{home tenant id}/v2.0, subject = the object (principal) id of the identity FLEET_MANAGED_IDENTITY_CLIENT_ID names, audience api://AzureADTokenExchange (README "Identity across tenants"; infra/scripts/fleet-app-registration.sh does it). Tried: ${tried}.`,
        { cause: err },
      )
    : new AppError(
        'AUTH.NO_TOKEN',
        `No token for ${what}. Tried: ${tried}. Use a managed identity, run az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate; with FLEET_CLIENT_ID, the tenant's administrator must consent to the app first.`,
        { cause: err },
      );
  // The Graph SDK keeps only name and message of errors thrown in its pipeline.
  error.name = error.code;
  return error;
}

function fullText(err: unknown): string {
  const inner = (err as { errors?: unknown } | undefined)?.errors;
  const all = Array.isArray(inner) ? [err, ...inner] : [err];
  return all.map((each) => (each instanceof Error ? each.message : String(each))).join(' ');
}
