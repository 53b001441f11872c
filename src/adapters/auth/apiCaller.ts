import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../../errors';
import { HIDDEN_CHARACTER } from '../../core/hiddenCharacters';
import type { ApiAuthSettings } from '../../config/functionsSettings';
import type { ApiCaller, CallerRequest, CallerVerifier } from '../../usecases/ports/callers';

/**
 * Validates the Entra ID bearer token of an API call: RS256 signature against the tenant's published
 * keys, v2 issuer of the API's tenant, audience, lifetime (60 s of clock skew), then the app role. The
 * identity comes from the token alone: no header or body field a caller can set is believed. Function
 * keys stay what they are, a shared secret for the whole app, and never authorize a write.
 */
export class ApiCallerVerifier implements CallerVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly issuer: string;

  constructor(
    private readonly settings: ApiAuthSettings,
    cloudAuthorityHost: string,
  ) {
    const host = (settings.authorityHost ?? cloudAuthorityHost).replace(/\/+$/, '');
    this.issuer = `${host}/${settings.tenantId}/v2.0`;
    // jose keeps the key set and refetches it when a token names an unknown kid (key rollover).
    this.keys = createRemoteJWKSet(new URL(`${host}/${settings.tenantId}/discovery/v2.0/keys`), {
      timeoutDuration: 10_000,
    });
  }

  async require(request: CallerRequest, role: string): Promise<ApiCaller> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token)
      throw unauthenticated(
        'Send an Entra ID access token for this API: Authorization: Bearer <token> (see docs/DEPLOY.md, "Calling the API").',
      );
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: this.settings.audiences,
        algorithms: ['RS256'],
        clockTolerance: 60,
        requiredClaims: ['oid', 'tid', 'exp'],
      }));
    } catch (err) {
      throw verificationFailure(err);
    }
    if (String(payload.tid).toLowerCase() !== this.settings.tenantId)
      throw unauthenticated('The token was issued in another tenant than API_TENANT_ID.');
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((item): item is string => typeof item === 'string')
      : [];
    if (!roles.includes(role)) {
      throw new AppError(
        'AUTH.FORBIDDEN',
        `The caller lacks the app role ${role} on the API's app registration; an administrator assigns it (Enterprise applications → Users and groups).`,
      );
    }
    return { oid: String(payload.oid).toLowerCase(), name: callerName(payload), roles };
  }
}

/** A user's sign-in name, else a calling application's name; never text with hidden characters. */
function callerName(payload: JWTPayload): string {
  for (const claim of ['preferred_username', 'upn', 'unique_name', 'app_displayname', 'azp']) {
    const value = payload[claim];
    if (
      typeof value === 'string' &&
      value.trim() !== '' &&
      value.length <= 256 &&
      !HIDDEN_CHARACTER.test(value)
    )
      return value.trim();
  }
  return 'unnamed caller';
}

function unauthenticated(message: string): AppError {
  return new AppError('AUTH.UNAUTHENTICATED', message);
}

/** Why a token was refused, in words a caller can act on; an unreachable key set is ours, not theirs. */
function verificationFailure(err: unknown): AppError {
  if (err instanceof errors.JWTExpired)
    return unauthenticated('The access token has expired: get a new one.');
  if (err instanceof errors.JWTClaimValidationFailed)
    return unauthenticated(
      `The access token was not issued for this API (${err.claim} does not match API_AUDIENCE/API_TENANT_ID).`,
    );
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated('The access token is not signed by Entra ID for this tenant.');
  }
  // Anything that is not jose judging the token (a timeout, DNS, TLS, an odd key set) is on our side.
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError)
  ) {
    return new AppError(
      'AUTH.UNAVAILABLE',
      'The sign-in keys could not be read to check the token; try again in a minute.',
      { transient: true, cause: err },
    );
  }
  return unauthenticated('The access token is malformed or not a JWT signed with RS256.');
}
