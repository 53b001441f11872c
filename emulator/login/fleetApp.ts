import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { generate } from 'selfsigned';

const CLOCK_SKEW_SECONDS = 300;

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The audience a federated credential names for Entra ID (the global cloud's; the emulator accepts it only). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * The multi-tenant app registration a fleet signs in as, and where it is consented. Its credentials:
 * a client secret, a certificate (public part registered, PEM with the key handed to the test), and a
 * federated identity credential trusting the emulated managed identity.
 */
export interface FleetApp {
  clientId: string;
  clientSecret: string;
  /** Tenants whose administrator never consented: no service principal, so no token. */
  withoutConsent: Set<string>;
  /** The registered certificate and a PEM file holding it with its private key. */
  certificate: { pem: string; path: string; publicKey: KeyObject; sha1: string; sha256: string };
  /** The federated identity credential's subject: the managed identity's object id, unless a test breaks it. */
  federatedSubject: string;
}

/** Makes the fleet app's RSA certificate (msal-node signs client assertions with RS256 or PS256). */
export async function createFleetApp(dir: string, fields: Omit<FleetApp, 'certificate'>): Promise<FleetApp> {
  const pems = await generate([{ name: 'commonName', value: 'sspr-remediator fleet' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
  });
  // Key first, then the certificate: @azure/identity hands the whole file to the signer as the key.
  const pem = `${pems.private}${pems.cert}`;
  const file = path.join(dir, 'fleet-app.pem');
  fs.writeFileSync(file, pem, { mode: 0o600 });
  const x509 = new X509Certificate(pems.cert);
  const thumbprint = (algorithm: string) => createHash(algorithm).update(x509.raw).digest('base64url');
  return {
    ...fields,
    certificate: {
      pem,
      path: file,
      publicKey: x509.publicKey,
      sha1: thumbprint('sha1'),
      sha256: thumbprint('sha256'),
    },
  };
}

/** A refusal as the token endpoint words it: status, OAuth error and an AADSTS description. */
export interface Refusal {
  status: number;
  error: string;
  description: string;
}

export interface AssertionContext {
  fleetApp: FleetApp;
  /** `{loginUrl}/{tenant}/oauth2/v2.0/token`: the `aud` a certificate assertion must carry. */
  tokenEndpoint: string;
  /** `{loginUrl}/{home tenant}/v2.0`: who issues the managed identity's tokens. */
  managedIdentityIssuer: string;
  /** The emulator's signing key for tokens it issues (the managed identity's among them). */
  signingKey: KeyObject;
}

const refuse = (description: string, status = 401, error = 'invalid_client'): Refusal => ({
  status,
  error,
  description,
});

/**
 * Checks a `client_assertion` as Entra ID does for the fleet app: either a JWT the app signed with its
 * registered certificate (found by the thumbprint in the header), or a managed-identity token whose
 * issuer, subject and audience match the app's federated identity credential. Undefined: accepted.
 */
export async function checkClientAssertion(
  type: string | undefined,
  assertion: string,
  context: AssertionContext,
): Promise<Refusal | undefined> {
  if (type !== JWT_BEARER)
    return refuse(
      `AADSTS50027: Invalid client_assertion_type '${(type ?? '').slice(0, 100)}'; expected '${JWT_BEARER}'.`,
      400,
      'invalid_request',
    );
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return refuse('AADSTS50027: The client assertion is not a valid JWT.', 400, 'invalid_request');
  }
  const thumbprint = header['x5t#S256'] ?? header.x5t;
  return typeof thumbprint === 'string'
    ? checkCertificateAssertion(thumbprint, assertion, context)
    : checkFederatedAssertion(assertion, context);
}

async function checkCertificateAssertion(
  thumbprint: string,
  assertion: string,
  { fleetApp, tokenEndpoint }: AssertionContext,
): Promise<Refusal | undefined> {
  const { certificate, clientId } = fleetApp;
  if (thumbprint !== certificate.sha256 && thumbprint !== certificate.sha1)
    return refuse(
      `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint.slice(0, 64)}']`,
    );
  try {
    await jwtVerify(assertion, certificate.publicKey, {
      algorithms: ['RS256', 'PS256'],
      audience: tokenEndpoint,
      issuer: clientId,
      subject: clientId,
      requiredClaims: ['exp', 'jti'],
      // Entra allows clock skew; msal-node rounds `nbf` to the nearest second, up to 0.5 s ahead.
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    return undefined;
  } catch (err) {
    return assertionFailure(err);
  }
}

async function checkFederatedAssertion(
  assertion: string,
  { fleetApp, managedIdentityIssuer, signingKey }: AssertionContext,
): Promise<Refusal | undefined> {
  let claims: { iss?: string; sub?: string; aud?: string | string[] };
  try {
    ({ payload: claims } = await jwtVerify(assertion, signingKey, {
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iss', 'sub', 'aud'],
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (err) {
    return assertionFailure(err);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== managedIdentityIssuer)
    return refuse(
      `AADSTS700211: No matching federated identity record found for presented assertion issuer '${String(claims.iss).slice(0, 200)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  if (!audiences.includes(TOKEN_EXCHANGE_AUDIENCE))
    return refuse(
      `AADSTS700212: No matching federated identity record found for presented assertion audience '${audiences.join(',').slice(0, 200)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  if (claims.sub !== fleetApp.federatedSubject)
    return refuse(
      `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims.sub).slice(0, 200)}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
  return undefined;
}

function assertionFailure(err: unknown): Refusal {
  if (err instanceof errors.JWTExpired)
    return refuse('AADSTS700024: Client assertion is not within its valid time range.');
  if (err instanceof errors.JWTClaimValidationFailed)
    return refuse(
      `AADSTS700027: Client assertion failed validation: the ${err.claim} claim does not match (aud must be the token endpoint, iss and sub the client id).`,
    );
  return refuse('AADSTS700027: Client assertion contains an invalid signature.');
}
