/** A held tenant lease. Check `lost` (or call `assertHeld`) before every durable write. */
export interface Lease {
  readonly tenantId: string;
  readonly owner: string;
  readonly leaseId: string;
  readonly acquiredAt: Date;
  /**
   * True once a renewal failed, or once the last successful renewal is older than the lease
   * duration (renewals stopped, a blocked event loop): another holder may have it by now.
   * Never turns back to false.
   */
  readonly lost: boolean;
  /** Throws STATE.LEASE_LOST (transient) when `lost`. */
  assertHeld(): void;
  /** Stops renewing and releases the lease; an already expired or taken lease is not an error. */
  release(): Promise<void>;
}

/** One writer per tenant: the Functions timer and an HTTP scan must not scan the same tenant at once. */
export interface TenantLeases {
  /** The lease, or undefined when another holder has it. */
  acquire(tenantId: string, owner: string): Promise<Lease | undefined>;
}
