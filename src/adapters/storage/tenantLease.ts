import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import {
  BlobServiceClient,
  RestError,
  type BlockBlobClient,
  type ContainerClient,
  type StorageRetryOptions,
} from '@azure/storage-blob';
import { AppError } from '../../errors';
import { createdOnce, storageFailed as storageFailedIn } from './storageAccess';

const CONTAINER = 'sspr-leases';
const DEFAULT_DURATION_SECONDS = 60;
const DEFAULT_RENEW_EVERY_MS = 20_000;
/**
 * A slow storage call must fail well inside the lease: worst case 3 × 10 s tries + 0.5 s + 1 s of
 * backoff ≈ 32 s, less than the 40 s a 60 s lease renewed every 20 s has left. (The SDK default,
 * 4 tries with 4 s → 8 s → 16 s of backoff and no per-try timeout, could outlive the lease.)
 */
const RETRY: StorageRetryOptions = {
  maxTries: 3,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 2_000,
  tryTimeoutInMs: 10_000,
};
/** Someone else holds the lease (or is breaking it): a normal answer, not an error. */
const HELD_BY_ANOTHER = new Set(['LeaseAlreadyPresent', 'LeaseIsBreakingAndCannotBeAcquired']);

import type { Lease, TenantLeases } from '../../usecases/ports/leases';

export type { Lease };

export interface TenantLeaseOptions {
  /** Lease duration in whole seconds, 15..60 (Blob's finite range; never infinite). Default 60. */
  durationSeconds?: number;
  /** How often a held lease is renewed, below the duration; `false` never renews (tests). Default 20 000. */
  renewEveryMs?: number | false;
  /** Container for the lock blobs. Default `sspr-leases`. */
  container?: string;
}

/**
 * Per-tenant writer lease on Azure Blob storage: one blob `<tenantId>.lock` per tenant (created
 * if missing) whose finite Blob lease is renewed on an unref'd timer while held, so a crashed
 * holder frees the tenant after at most one duration. The blob's metadata shows `owner` and
 * `acquiredAt` to operators.
 *
 * `connection` is taken as TableStateStore takes it: a storage connection string (Azurite over
 * http is fine: the Blob SDK allows http itself), or an https:// endpoint used with `credential`.
 * A table endpoint (`https://<account>.table.core.windows.net`) is mapped to the account's blob endpoint.
 */
export class TenantLease implements TenantLeases {
  private readonly container: ContainerClient;
  private readonly durationSeconds: number;
  private readonly renewEveryMs: number | false;

  constructor(connection: string, credential: TokenCredential, options: TenantLeaseOptions = {}) {
    this.durationSeconds = options.durationSeconds ?? DEFAULT_DURATION_SECONDS;
    this.renewEveryMs = options.renewEveryMs ?? DEFAULT_RENEW_EVERY_MS;
    if (!Number.isInteger(this.durationSeconds) || this.durationSeconds < 15 || this.durationSeconds > 60) {
      throw new AppError(
        'CONFIG.INVALID',
        `The tenant lease duration must be a whole number of seconds from 15 to 60, not ${this.durationSeconds}.`,
      );
    }
    if (
      this.renewEveryMs !== false &&
      !(this.renewEveryMs > 0 && this.renewEveryMs < this.durationSeconds * 1000)
    ) {
      throw new AppError(
        'CONFIG.INVALID',
        `The tenant lease must be renewed more often than it lasts (${this.durationSeconds} s), not every ${this.renewEveryMs} ms.`,
      );
    }
    let service: BlobServiceClient;
    try {
      service = /^https:\/\//i.test(connection)
        ? new BlobServiceClient(blobEndpoint(connection), credential, { retryOptions: RETRY })
        : BlobServiceClient.fromConnectionString(connection, { retryOptions: RETRY });
    } catch (err) {
      throw storageFailed(err);
    }
    this.container = service.getContainerClient(options.container ?? CONTAINER);
  }

  async acquire(tenantId: string, owner: string): Promise<Lease | undefined> {
    if (!tenantId) throw new AppError('INTERNAL', 'A tenant lease needs a tenant id.');
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(`${tenantId}.lock`);
    const leaseId = randomUUID();
    const sentAt = performance.now();
    try {
      await this.acquireOrCreate(blob, leaseId);
    } catch (err) {
      if (heldByAnother(err)) return undefined;
      throw storageFailed(err);
    }
    const acquiredAt = new Date();
    const lease = new HeldLease(
      blob,
      tenantId,
      owner,
      leaseId,
      acquiredAt,
      this.durationSeconds * 1000,
      sentAt,
    );
    try {
      // Under the lease, so only the holder can write it (a lease also guards metadata writes).
      await blob.setMetadata(
        { owner: headerSafe(owner), acquiredAt: acquiredAt.toISOString() },
        { conditions: { leaseId } },
      );
    } catch (err) {
      await lease.release().catch(() => undefined);
      throw storageFailed(err);
    }
    if (this.renewEveryMs !== false) lease.startRenewing(this.renewEveryMs);
    return lease;
  }

  private async acquireOrCreate(blob: BlockBlobClient, leaseId: string): Promise<void> {
    const leases = blob.getBlobLeaseClient(leaseId);
    try {
      await leases.acquireLease(this.durationSeconds);
      return;
    } catch (err) {
      if (!(isRestError(err) && err.statusCode === 404)) throw err;
    }
    try {
      // Create only if missing: never overwrite a blob another acquirer just created (and may hold).
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (err) {
      if (!(isRestError(err) && (err.statusCode === 409 || err.statusCode === 412))) throw err;
    }
    await leases.acquireLease(this.durationSeconds);
  }

  private readonly ensureContainer = createdOnce(() => this.container.createIfNotExists(), storageFailed);
}

class HeldLease implements Lease {
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private failed = false;
  private released = false;
  /** Monotonic time (ms) until which the lease is surely ours: request sent + duration. */
  private validUntil: number;

  constructor(
    private readonly blob: BlockBlobClient,
    readonly tenantId: string,
    readonly owner: string,
    readonly leaseId: string,
    readonly acquiredAt: Date,
    private readonly durationMs: number,
    sentAt: number,
  ) {
    this.validUntil = sentAt + durationMs;
  }

  get lost(): boolean {
    return this.failed || this.released || performance.now() >= this.validUntil;
  }

  assertHeld(): void {
    if (this.lost) {
      throw new AppError(
        'STATE.LEASE_LOST',
        `The writer lease on tenant ${this.tenantId} was lost (renewal failed or it expired); stopping before writing. The next scan will pick it up.`,
        { transient: true },
      );
    }
  }

  startRenewing(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.renewing || this.lost) return;
      this.renewing = this.renew().finally(() => (this.renewing = undefined));
    }, everyMs);
    this.timer.unref();
  }

  async release(): Promise<void> {
    this.stop();
    if (this.released) return;
    // A renewal in flight must not land after the release.
    await this.renewing;
    this.released = true;
    try {
      await this.blob.getBlobLeaseClient(this.leaseId).releaseLease();
    } catch (err) {
      // 409/412: it expired and someone else took it (or it is gone): nothing of ours to release.
      if (isRestError(err) && (err.statusCode === 409 || err.statusCode === 412)) return;
      throw storageFailed(err);
    }
  }

  private async renew(): Promise<void> {
    const sentAt = performance.now();
    try {
      await this.blob.getBlobLeaseClient(this.leaseId).renewLease();
      if (!this.failed) this.validUntil = sentAt + this.durationMs;
    } catch {
      // Any failure ends it: after the SDK's retries we can no longer be sure we hold the tenant.
      this.failed = true;
      this.stop();
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A table endpoint of the same account works too: `<account>.table.<suffix>` → `<account>.blob.<suffix>`. */
function blobEndpoint(url: string): string {
  const parsed = new URL(url);
  const labels = parsed.hostname.split('.');
  if (labels[1]?.toLowerCase() === 'table') {
    labels[1] = 'blob';
    parsed.hostname = labels.join('.');
    parsed.pathname = '/';
  }
  return parsed.toString();
}

/** Metadata values travel as HTTP header values: printable ASCII only. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value.trim() : encodeURIComponent(value);
}

function isRestError(err: unknown): err is RestError {
  return (
    err instanceof RestError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'RestError')
  );
}

function heldByAnother(err: unknown): boolean {
  return isRestError(err) && err.statusCode === 409 && HELD_BY_ANOTHER.has(String(err.code));
}

const storageFailed = (err: unknown) =>
  storageFailedIn('The tenant lease storage (STATE_STORAGE, Blob)', err);
