import { AppError } from '../errors';
import type { Lease, TenantLeases } from './ports/leases';

/**
 * One writer per tenant: the timer, the queue, an HTTP scan and a person at a terminal never overlap.
 * Runs `work` under the tenant's lease, which fences every write it makes (FencedStateStore, the ticket
 * sinks), and releases it after; another holder means SCAN.TENANT_BUSY, a normal answer worth retrying.
 * Without a lease store (report mode without STATE_STORAGE) there is nothing to fence and no lease.
 */
export async function withTenantLease<T>(
  leases: TenantLeases | undefined,
  tenantId: string,
  owner: string,
  work: (lease?: Lease) => Promise<T>,
): Promise<T> {
  if (!leases) return work();
  const lease = await leases.acquire(tenantId, owner);
  if (!lease) {
    throw new AppError(
      'SCAN.TENANT_BUSY',
      `Another scan of tenant ${tenantId} holds its lease; it ends within a minute of finishing or dying. Try again then.`,
      { transient: true },
    );
  }
  try {
    return await work(lease);
  } finally {
    await lease.release().catch(() => undefined);
  }
}
