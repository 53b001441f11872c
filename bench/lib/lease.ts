import { BlobServiceClient } from '@azure/storage-blob';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once no lease is on the tenant's lock blob (src/state/tenantLease.ts: container
 * sspr-leases, blob <tenantId>.lock), e.g. once a killed scan's lease has run out; gives up after
 * `giveUpMs` (a lease lives at most 60 s). Cheaper than starting a scan every second to find out.
 */
export async function untilLeaseFree(
  connectionString: string,
  tenantId: string,
  giveUpMs = 90_000,
): Promise<void> {
  const blob = BlobServiceClient.fromConnectionString(connectionString)
    .getContainerClient('sspr-leases')
    .getBlobClient(`${tenantId}.lock`);
  for (const giveUp = Date.now() + giveUpMs; Date.now() < giveUp; await sleep(500)) {
    const leaseState = await blob.getProperties().then(
      (properties) => properties.leaseState,
      (err: { statusCode?: number }) => {
        // No lock blob (or container) yet: no scan of this tenant ever held a lease.
        if (err.statusCode === 404) return undefined;
        throw err;
      },
    );
    if (leaseState !== 'leased' && leaseState !== 'breaking') return;
  }
}

/**
 * Breaks whatever lease is on the tenant's lock blob at once, as an operator may for a holder known to
 * be dead (a scan killed with SIGKILL): the next scan then runs without waiting out the lease. No lock
 * blob, or no lease on it, is fine.
 */
export async function breakLease(connectionString: string, tenantId: string): Promise<void> {
  const blob = BlobServiceClient.fromConnectionString(connectionString)
    .getContainerClient('sspr-leases')
    .getBlobClient(`${tenantId}.lock`);
  await blob
    .getBlobLeaseClient()
    .breakLease(0)
    .catch((err: { statusCode?: number }) => {
      // 404: no lock blob (the scan died before taking its lease); 409: no lease on it.
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
}
