import type { TokenCredential } from '@azure/identity';
import { TenantBoundCredential } from '../../src/auth/tenantBoundCredential';

const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const OTHER = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const jwt = (claims: object) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const issuing = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });

describe('TenantBoundCredential', () => {
  test('when the token was issued for another tenant, then it is refused with AUTH.WRONG_TENANT naming both tenants', async () => {
    const credential = new TenantBoundCredential(issuing(jwt({ tid: OTHER })), TENANT);
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toMatchObject({
      code: 'AUTH.WRONG_TENANT',
      message: expect.stringContaining(OTHER),
    });
  });

  test('when the token is for the scanned tenant (any case), or carries no tenant claim, then it passes', async () => {
    const right = jwt({ tid: TENANT.toUpperCase() });
    await expect(new TenantBoundCredential(issuing(right), TENANT).getToken('s')).resolves.toMatchObject({ token: right });
    await expect(new TenantBoundCredential(issuing('opaque-token'), TENANT).getToken('s')).resolves.toMatchObject({ token: 'opaque-token' });
  });
});
