import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { FleetCredentialConfig } from '../../config/fleetCredential';

export interface CredentialSettings {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  fleet?: FleetCredentialConfig;
}

/** The home tenant's credential (state, tickets, Automation) and one per scanned tenant (Graph). */
export interface TenantCredentials {
  home: TokenCredential;
  forTenant(tenantId: string): TokenCredential;
}

/**
 * Builds the credentials once per tenant and keeps them: each holds its own token cache, so the next
 * scan of a tenant reuses the token instead of signing in again.
 *
 * Without FLEET_CLIENT_ID a tenant's token comes from DefaultAzureCredential (az login, a pipeline's
 * AZURE_CLIENT_*, a managed identity in its own tenant). With it, from the multi-tenant app
 * registration: a managed identity cannot sign in to another tenant, but the app it is federated with
 * can, once each tenant's administrator has consented.
 */
export function tenantCredentials(settings: CredentialSettings): TenantCredentials {
  const authority = {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: settings.disableInstanceDiscovery,
  };
  const home = new DefaultAzureCredential(authority);
  const fleet = settings.fleet;
  const assertion = fleet?.kind === 'managed-identity' ? managedIdentityAssertion(fleet) : undefined;
  const built = new Map<string, TokenCredential>();

  const build = (tenantId: string): TokenCredential => {
    if (!fleet) return new DefaultAzureCredential({ ...authority, tenantId });
    switch (fleet.kind) {
      case 'managed-identity':
        return new ClientAssertionCredential(tenantId, fleet.clientId, assertion!, authority);
      case 'certificate':
        // Sends the certificate's SHA-256 thumbprint (x5t#S256) with the signed assertion.
        return new ClientCertificateCredential(
          tenantId,
          fleet.clientId,
          { certificatePath: fleet.certificatePath },
          authority,
        );
      case 'secret':
        return new ClientSecretCredential(tenantId, fleet.clientId, fleet.clientSecret, authority);
    }
  };

  return {
    home,
    forTenant(tenantId) {
      const key = tenantId.toLowerCase();
      let credential = built.get(key);
      if (!credential) {
        credential = build(key);
        built.set(key, credential);
      }
      return credential;
    },
  };
}

/**
 * The federated credential's assertion: a token of the user-assigned managed identity for the cloud's
 * token-exchange audience. One managed-identity credential serves every tenant (the token is the
 * same for all: the app registration's federated credential names the home tenant as issuer), and
 * caches it until shortly before it expires.
 */
function managedIdentityAssertion(
  fleet: Extract<FleetCredentialConfig, { kind: 'managed-identity' }>,
): () => Promise<string> {
  const identity = new ManagedIdentityCredential({ clientId: fleet.managedIdentityClientId });
  return async () => {
    const token = await identity.getToken(fleet.assertionScope);
    return token.token;
  };
}
