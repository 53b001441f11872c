import type { TokenCredential } from '@azure/identity';
import { odata, RestError, TableClient } from '@azure/data-tables';
import { stateTable } from './storageAccess';
import { AppError } from '../../errors';
import type { AuditBudget } from '../../usecases/ports/auditBudget';

const TABLE = 'ssprAuditBudget';
const PARTITION = 'directoryAudits';
const WINDOW_MS = 10_000;
/** Instances' clocks differ (NTP keeps them within tens of milliseconds); this absorbs it and timer slop. */
const DEFAULT_MARGIN_MS = 250;
/**
 * A share taken by a process that dies before the answer: held this long, then free again. One Graph
 * attempt waits at most 60 s (GRAPH_ATTEMPT_TIMEOUT_MS), then the window runs 10 s after it.
 */
const DEFAULT_IN_FLIGHT_MS = 75_000;
/** While every share is in flight, look again this often (an answer frees one 10 s later at the earliest). */
const DEFAULT_POLL_MS = 200;

/** One share of the allowance: a row per request that may be counted in Graph's window right now. */
interface SlotEntity {
  partitionKey: string;
  rowKey: string;
  /** Epoch ms until which this slot's request still counts (in flight: taken + DEFAULT_IN_FLIGHT_MS). */
  busyUntil: number;
  tenantId: string;
  holder: string;
  etag?: string;
}

export interface TableAuditBudgetOptions {
  /** Requests per window across every tenant (Graph: 122). One table row each. */
  limit: number;
  /** Requests per window to one tenant (Graph: 5). */
  perTenant: number;
  /** Shown on each slot, for an operator reading the table. */
  holder: string;
  windowMs?: number;
  marginMs?: number;
  inFlightMs?: number;
  pollMs?: number;
}

/** What the budget cost, for the benchmark's account of storage operations per Graph request. */
export interface BudgetStats {
  /** Shares granted. */
  taken: number;
  /** Partition reads (one per look at the slots). */
  reads: number;
  /** Conditional writes to claim a slot, won or lost. */
  claims: number;
  /** Claims lost to another instance (412). */
  conflicts: number;
  /** Release writes that landed. */
  releases: number;
  /** Time spent waiting for shares, summed over requests. */
  waitedMs: number;
}

/**
 * The shared audit budget on Azure Tables: a sliding window made of `limit` slot rows in one
 * partition. A request takes a free slot with an ETag-conditional update (two instances racing for
 * the same slot: one wins, the other reads again), marks it in flight, and on its answer sets
 * `busyUntil` to answer + window + margin — the same rule as the per-tenant pacer, so Graph, which
 * counts a request on arrival (before our answer), never sees more than `limit` in its window. The
 * same rows carry the tenant, so one tenant's requests made by different instances one after the
 * other are counted against its own limit too.
 *
 * Requests of one process take slots one at a time, in order (a per-process queue): instances then
 * contend with each other, never with themselves, and a process's scans are served first come,
 * first served. Storage cost per Graph request: one partition read, one conditional write, one
 * release write (plus a read and a write per lost race).
 */
export class TableAuditBudget implements AuditBudget {
  readonly stats: BudgetStats = { taken: 0, reads: 0, claims: 0, conflicts: 0, releases: 0, waitedMs: 0 };
  private readonly table: TableClient;
  private readonly windowMs: number;
  private readonly marginMs: number;
  private readonly inFlightMs: number;
  private readonly pollMs: number;
  private ready?: Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    connection: string,
    credential: TokenCredential,
    private readonly options: TableAuditBudgetOptions,
  ) {
    this.table = stateTable(connection, TABLE, credential);
    this.windowMs = options.windowMs ?? WINDOW_MS;
    this.marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    this.inFlightMs = options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  take(tenantId: string): Promise<() => void> {
    const turn = this.queue.then(() => this.claim(tenantId.toLowerCase()));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async claim(tenantId: string): Promise<() => void> {
    await this.ensureSlots();
    const started = Date.now();
    for (;;) {
      const slots = await this.readSlots();
      const now = Date.now();
      const free = slots.filter((slot) => slot.busyUntil <= now);
      const tenantBusy = slots.filter((slot) => slot.tenantId === tenantId && slot.busyUntil > now).length;
      if (free.length > 0 && tenantBusy < this.options.perTenant) {
        // A random free slot: instances that read the same free set rarely pick the same row.
        const slot = free[Math.floor(Math.random() * free.length)];
        this.stats.claims++;
        const etag = await this.write(slot, now + this.inFlightMs, tenantId);
        if (etag) {
          this.stats.taken++;
          this.stats.waitedMs += Date.now() - started;
          return this.releaser(slot, etag, tenantId);
        }
        this.stats.conflicts++;
        continue;
      }
      // Wait until the earliest answered share leaves the window, or poll while all are in flight.
      const blocking = free.length > 0 ? slots.filter((slot) => slot.tenantId === tenantId) : slots;
      const earliest = Math.min(...blocking.filter((slot) => slot.busyUntil > now).map((s) => s.busyUntil));
      const wait = Number.isFinite(earliest)
        ? Math.min(Math.max(earliest - now, 1), this.pollMs)
        : this.pollMs;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Called once: the share counts until the window has passed from now (the answer's arrival). */
  private releaser(slot: SlotEntity, etag: string, tenantId: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const write = this.write({ ...slot, etag }, Date.now() + this.windowMs + this.marginMs, tenantId)
        .then(() => {
          this.stats.releases++;
        })
        // A failed release leaves the slot in flight: it frees itself after inFlightMs. Safe, only slower.
        .catch(() => undefined)
        .finally(() => this.pending.delete(write));
      this.pending.add(write);
    };
  }

  /** The new ETag, or undefined when another instance changed the row since it was read (412). */
  private async write(slot: SlotEntity, busyUntil: number, tenantId: string): Promise<string | undefined> {
    try {
      const answer = await this.table.updateEntity(
        {
          partitionKey: PARTITION,
          rowKey: slot.rowKey,
          // Epoch ms fit a Double exactly (below 2^53).
          busyUntil: { value: String(busyUntil), type: 'Double' },
          tenantId,
          holder: this.options.holder,
        },
        'Replace',
        { etag: slot.etag },
      );
      return answer.etag;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 412) return undefined;
      throw budgetFailed(err);
    }
  }

  private async readSlots(): Promise<SlotEntity[]> {
    this.stats.reads++;
    const slots: SlotEntity[] = [];
    try {
      const rows = this.table.listEntities<{ busyUntil: number; tenantId?: string; holder?: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` },
      });
      for await (const row of rows) {
        const rowKey = row.rowKey ?? '';
        if (Number(rowKey.slice(5)) >= this.options.limit) continue;
        slots.push({
          partitionKey: PARTITION,
          rowKey,
          busyUntil: Number(row.busyUntil),
          tenantId: row.tenantId ?? '',
          holder: row.holder ?? '',
          etag: row.etag,
        });
      }
    } catch (err) {
      throw budgetFailed(err);
    }
    return slots;
  }

  /** One row per share, created once by whichever instance comes first (409 from the others is fine). */
  private ensureSlots(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.table.createTable();
        const existing = new Set((await this.readSlots()).map((slot) => slot.rowKey));
        for (let n = 0; n < this.options.limit; n++) {
          const rowKey = slotKey(n);
          if (existing.has(rowKey)) continue;
          await this.table
            .createEntity({
              partitionKey: PARTITION,
              rowKey,
              busyUntil: { value: '0', type: 'Double' },
              tenantId: '',
              holder: '',
            })
            .catch((err: unknown) => {
              if (!(err instanceof RestError && err.statusCode === 409)) throw err;
            });
        }
      } catch (err) {
        this.ready = undefined;
        throw budgetFailed(err);
      }
    })();
    return this.ready;
  }
}

function slotKey(n: number): string {
  return `slot-${String(n).padStart(3, '0')}`;
}

function budgetFailed(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const detail =
    err instanceof RestError ? `${err.statusCode ?? ''} ${err.code ?? err.message}`.trim() : String(err);
  const error = new AppError(
    'STATE.UNAVAILABLE',
    `The shared audit budget (table ${TABLE} in STATE_STORAGE) failed: ${detail}. Check that the account is reachable, or unset FLEET_AUDIT_REQUESTS_PER_10S to pace each scan on its own.`,
    { transient: true, cause: err },
  );
  // Thrown inside the Graph SDK's pipeline, which keeps only name and message.
  error.name = error.code;
  return error;
}
