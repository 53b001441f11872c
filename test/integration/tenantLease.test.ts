import { createServer } from 'node:net';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { TenantLease, type Lease, type TenantLeaseOptions } from '../../src/adapters/storage/tenantLease';

/** The per-tenant writer lease against a real Azurite: one holder, release, expiry, renewal, races. */
let azurite: RunningAzurite;
let tenantSeq = 0;
const newTenant = () => `00000000-0000-4000-9000-${String(++tenantSeq).padStart(12, '0')}`;
// Connection-string auth: the credential is never asked for a token here.
const leases = (options?: TenantLeaseOptions) =>
  new TenantLease(azurite.connectionString, new DefaultAzureCredential(), options);
const held: Lease[] = [];
const keep = (lease: Lease | undefined) => {
  if (lease) held.push(lease);
  return lease;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metadataOf(tenantId: string): Promise<Record<string, string>> {
  const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient('sspr-leases')
    .getBlobClient(`${tenantId}.lock`);
  // Metadata names are case-insensitive and come back lower-cased through Node's HTTP headers.
  const metadata = (await blob.getProperties()).metadata ?? {};
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Tries until the tenant is free (no timing asserted: the bound only stops a broken run). */
async function acquireWhenFree(
  tenantId: string,
  owner: string,
  giveUpAfterMs = 90_000,
): Promise<Lease | undefined> {
  const deadline = Date.now() + giveUpAfterMs;
  for (;;) {
    const lease = keep(await leases().acquire(tenantId, owner));
    if (lease || Date.now() > deadline) return lease;
    await sleep(500);
  }
}

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await Promise.allSettled(held.map((lease) => lease.release()));
  await azurite?.stop();
});

describe('TenantLease', () => {
  test('when two acquire the same tenant, then one holds it, the other gets undefined, and the blob shows the holder', async () => {
    const tenant = newTenant();
    const first = keep(await leases().acquire(tenant, 'timer@host-a'));
    const second = keep(await leases().acquire(tenant, 'http@host-b'));
    expect(first).toBeDefined();
    expect(first!.lost).toBe(false);
    expect(second).toBeUndefined();
    expect(await metadataOf(tenant)).toEqual({
      owner: 'timer@host-a',
      acquiredat: first!.acquiredAt.toISOString(),
    });
  });

  test('when the holder releases, then the other can acquire, and a second release is harmless', async () => {
    const tenant = newTenant();
    const first = keep(await leases().acquire(tenant, 'a'));
    await first!.release();
    expect(first!.lost).toBe(true);
    const second = keep(await leases().acquire(tenant, 'b'));
    expect(second).toBeDefined();
    expect((await metadataOf(tenant)).owner).toBe('b');
    await expect(first!.release()).resolves.toBeUndefined();
    // The stale holder's release did not free the new holder's lease.
    expect(await leases().acquire(tenant, 'c')).toBeUndefined();
  });

  test('when ten acquire a new tenant at once, then exactly one holds it', async () => {
    const tenant = newTenant();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => leases().acquire(tenant, `worker-${i}`).then(keep)),
    );
    const winners = results.filter((lease): lease is Lease => lease !== undefined);
    expect(winners).toHaveLength(1);
    expect((await metadataOf(tenant)).owner).toBe(winners[0].owner);
  });

  test('when a holder stops renewing, then its lease expires and is lost, while a renewed lease is kept', async () => {
    const renewedTenant = newTenant();
    const crashedTenant = newTenant();
    // Taken first, so by the time the other expires it is at least as old: only renewal keeps it.
    const renewed = keep(
      await leases({ durationSeconds: 15, renewEveryMs: 2_000 }).acquire(renewedTenant, 'alive'),
    );
    const crashed = keep(
      await leases({ durationSeconds: 15, renewEveryMs: false }).acquire(crashedTenant, 'crashed'),
    );
    expect(renewed).toBeDefined();
    expect(crashed).toBeDefined();
    expect(await leases().acquire(crashedTenant, 'successor')).toBeUndefined();

    const successor = await acquireWhenFree(crashedTenant, 'successor');
    expect(successor).toBeDefined();
    expect(crashed!.lost).toBe(true);
    expect(() => crashed!.assertHeld()).toThrow(expect.objectContaining({ code: 'STATE.LEASE_LOST' }));
    expect((await metadataOf(crashedTenant)).owner).toBe('successor');
    // The expired holder's release neither fails nor frees the successor's lease.
    await expect(crashed!.release()).resolves.toBeUndefined();
    expect(await leases().acquire(crashedTenant, 'third')).toBeUndefined();

    expect(renewed!.lost).toBe(false);
    expect(() => renewed!.assertHeld()).not.toThrow();
    expect(await leases().acquire(renewedTenant, 'intruder')).toBeUndefined();
  });

  test('when the storage cannot be reached, then STATE.UNAVAILABLE (transient)', async () => {
    const port = await closedPort();
    const unreachable = azurite.connectionString.replace(
      /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      `BlobEndpoint=http://127.0.0.1:${port}`,
    );
    expect(unreachable).not.toBe(azurite.connectionString);
    const lease = new TenantLease(unreachable, new DefaultAzureCredential());
    await expect(lease.acquire(newTenant(), 'a')).rejects.toMatchObject({
      code: 'STATE.UNAVAILABLE',
      transient: true,
    });
  });

  test('when the duration is outside 15..60 s or renewal is not more frequent than it, then CONFIG.INVALID', () => {
    expect(() => leases({ durationSeconds: 10 })).toThrow(
      expect.objectContaining({ code: 'CONFIG.INVALID' }),
    );
    expect(() => leases({ durationSeconds: 61 })).toThrow(
      expect.objectContaining({ code: 'CONFIG.INVALID' }),
    );
    expect(() => leases({ durationSeconds: 15, renewEveryMs: 15_000 })).toThrow(
      expect.objectContaining({ code: 'CONFIG.INVALID' }),
    );
  });
});

/** A loopback port nobody listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
