import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { AppError } from '../../errors';

/**
 * Refuses a token issued for another tenant than the one being scanned: otherwise tenant A's
 * failures would be filed as tenant B's incident. Tokens that are not JWTs (none in Azure; the
 * local emulator's) carry no tenant claim and pass.
 */
export class TenantBoundCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly tenantId: string,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const token = await this.inner.getToken(scopes, options);
    const tid = token ? tenantClaim(token.token) : undefined;
    if (tid && tid.toLowerCase() !== this.tenantId.toLowerCase()) {
      const error = new AppError(
        'AUTH.WRONG_TENANT',
        `The credential signed in to tenant ${tid}, not ${this.tenantId}. Sign in to the tenant you scan (az login --tenant ${this.tenantId}), or scan --tenant ${tid}.`,
      );
      // The Graph SDK keeps only name and message of errors thrown in its pipeline.
      error.name = error.code;
      throw error;
    }
    return token;
  }
}

function tenantClaim(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims.tid === 'string' ? claims.tid : undefined;
  } catch {
    return undefined;
  }
}
