import { clip } from '../../errors';

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
