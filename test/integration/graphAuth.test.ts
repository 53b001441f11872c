import type { TokenCredential } from '@azure/identity';
import { TenantBoundCredential } from '../../src/adapters/auth/tenantBoundCredential';
import { GraphAuditLogReader } from '../../src/adapters/graph/auditLogReader';
import { createGraphClient } from '../../src/adapters/graph/graphClient';

/** Token failures travel through the real Graph SDK pipeline and come out with our codes, unretried. */
const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const window = { from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T11:00:00Z') };

async function firstPage(credential: TokenCredential) {
  const stats = { total: 0, throttled: 0 };
  const client = createGraphClient(credential, {
    graphEndpoint: 'https://127.0.0.1:1',
    audience: 'https://graph.microsoft.com',
    auditRequestsPer10s: 5,
    maxAttempts: 3,
    stats,
  });
  const pages = new GraphAuditLogReader(client, 'https://127.0.0.1:1')
    .ssprEvents(window)
    [Symbol.asyncIterator]();
  const outcome = await pages.next().catch((err) => err);
  return { outcome, stats };
}

describe('token failures through the Graph SDK', () => {
  test('when the token is for another tenant, then the scan stops with AUTH.WRONG_TENANT after one attempt, having sent nothing', async () => {
    let asked = 0;
    const claims = Buffer.from(JSON.stringify({ tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' })).toString(
      'base64url',
    );
    const other: TokenCredential = {
      getToken: async () => {
        asked++;
        return { token: `h.${claims}.s`, expiresOnTimestamp: Date.now() + 60_000 };
      },
    };
    const { outcome, stats } = await firstPage(new TenantBoundCredential(other, TENANT));
    expect(outcome).toMatchObject({ code: 'AUTH.WRONG_TENANT' });
    expect(asked).toBe(1);
    expect(stats.total).toBe(0);
  });

  test('when no credential is available, then it is AUTH.NO_TOKEN with what to do, not a network error, and no Graph request is counted', async () => {
    let asked = 0;
    const unavailable: TokenCredential = {
      getToken: async () => {
        asked++;
        const error = new Error('ManagedIdentityCredential: no managed identity endpoint found.');
        error.name = 'CredentialUnavailableError';
        throw error;
      },
    };
    const { outcome, stats } = await firstPage(unavailable);
    expect(outcome).toMatchObject({ code: 'AUTH.NO_TOKEN', message: expect.stringContaining('az login') });
    expect(asked).toBe(1);
    expect(stats.total).toBe(0);
  });
});
