import type { TokenCredential } from '@azure/identity';
import { odata, RestError, TableClient, type TransactionAction } from '@azure/data-tables';
import { AppError } from '../../errors';
import { stateTable, storageFailed as storageFailedIn, createdOnce } from './storageAccess';
import type { AffectedAdmin } from '../../usecases/ports/actions';
import type { Incident } from '../../core/model';
import { deleteRows, TRANSACTION_LIMIT } from './deleteRows';
import { freshIncident, mergeAdmins } from './incidentRecord';
import type {
  Checkpoint,
  IncidentState,
  JournalEntry,
  RecordedEvent,
  StateStore,
  StoredIncident,
} from '../../usecases/ports/state';

const TABLES = {
  checkpoints: 'ssprCheckpoints',
  incidents: 'ssprIncidents',
  events: 'ssprEvents',
  journal: 'ssprActions',
} as const;
const CHECKPOINT_ROW = 'auditLog';
const MAX_CONFLICT_RETRIES = 5;

/** The incident row: lists and objects are JSON text (Tables has no nested types). */
interface IncidentEntity {
  partitionKey: string;
  rowKey: string;
  cause: string;
  state: IncidentState;
  sequence: number;
  userIds: string;
  admins: string;
  notifiedUserIds: string;
  ticket: string;
  remediation: string;
  approval: string;
  disabledBy: string;
  verifyingSince: string;
  transitions: string;
  openedAt: string;
  updatedAt: string;
}

/**
 * State in Azure Tables, partitioned by tenant. Incident writes are ETag-conditional and ids are
 * deterministic, so a timer scan and an HTTP scan racing on one tenant still end with one incident.
 */
export class TableStateStore implements StateStore {
  readonly durable = true;
  private readonly clients: Record<keyof typeof TABLES, TableClient>;

  constructor(connection: string, credential: TokenCredential) {
    const client = (table: string) => stateTable(connection, table, credential);
    this.clients = {
      checkpoints: client(TABLES.checkpoints),
      incidents: client(TABLES.incidents),
      events: client(TABLES.events),
      journal: client(TABLES.journal),
    };
  }

  async readCheckpoint(tenantId: string): Promise<Checkpoint | undefined> {
    await this.ensureTables();
    const entity = await this.getOrUndefined<{ windowEnd: string; etag: string }>(
      this.clients.checkpoints,
      tenantId,
      CHECKPOINT_ROW,
    );
    return entity ? { windowEnd: new Date(entity.windowEnd), etag: entity.etag } : undefined;
  }

  async recordedEventIds(tenantId: string, since: Date): Promise<Set<string>> {
    await this.ensureTables();
    const ids = new Set<string>();
    // A second early: Graph's filter is widened to whole seconds, so this must be at least as wide.
    const from = new Date(Math.floor(since.getTime() / 1000) * 1000 - 1000);
    const rows = this.clients.events.listEntities<{ at: Date }>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId} and at ge ${from}`, select: ['RowKey'] },
    });
    for await (const row of storageCall(rows)) ids.add(row.rowKey!);
    return ids;
  }

  async saveIncident(
    tenantId: string,
    incident: Incident,
    admins: AffectedAdmin[],
    now: Date,
  ): Promise<StoredIncident> {
    await this.ensureTables();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const existing = await this.incidentsOf(tenantId, incident.cause);
      const active = existing.find((row) => row.state !== 'resolved');
      try {
        if (active) return await this.addAdmins(fromEntity(active), admins, now);
        return await this.open(tenantId, incident, admins, existing.length + 1, now);
      } catch (err) {
        // 409: another scan opened it first; 412: another scan changed it. Re-read and merge.
        if (isConflict(err)) continue;
        throw storageFailed(err);
      }
    }
    throw conflict();
  }

  async joinLatestIncident(
    tenantId: string,
    cause: string,
    admins: AffectedAdmin[],
    failedSince: Date,
    now: Date,
  ): Promise<StoredIncident | undefined> {
    await this.ensureTables();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const latest = (await this.incidentsOf(tenantId, cause)).sort((a, b) => b.sequence - a.sequence)[0];
      if (!latest) return undefined;
      const incident = fromEntity(latest);
      const resolvedAt =
        incident.state === 'resolved'
          ? (incident.transitions.filter((t) => t.to === 'resolved').at(-1)?.at ?? incident.updatedAt)
          : undefined;
      // Resolved before these admins failed: their failure belongs to a later outage we never saw.
      if (resolvedAt && Date.parse(resolvedAt) < failedSince.getTime()) return undefined;
      try {
        return await this.addAdmins(incident, admins, now);
      } catch (err) {
        if (isConflict(err)) continue;
        throw storageFailed(err);
      }
    }
    throw conflict();
  }

  async getIncident(tenantId: string, incidentId: string): Promise<StoredIncident | undefined> {
    await this.ensureTables();
    const row = await this.getOrUndefined<IncidentEntity>(this.clients.incidents, tenantId, incidentId);
    return row ? fromEntity(row) : undefined;
  }

  async updateIncident(incident: StoredIncident): Promise<StoredIncident> {
    await this.ensureTables();
    const entity = toEntity(incident);
    try {
      const response = await this.clients.incidents.updateEntity(entity, 'Replace', {
        etag: incident.etag ?? '*',
      });
      return { ...incident, etag: response.etag };
    } catch (err) {
      if (isConflict(err)) throw conflict();
      throw storageFailed(err);
    }
  }

  async intend(
    tenantId: string,
    incidentId: string,
    key: string,
    now: Date,
    writer?: string,
  ): Promise<JournalEntry> {
    await this.ensureTables();
    const rowKey = journalKey(incidentId, key);
    const entity = intendedRow(tenantId, rowKey, key, now, writer);
    try {
      await this.clients.journal.createEntity(entity);
      return { key, status: 'intended', result: null, at: entity.at, writer };
    } catch (err) {
      if (!isConflict(err)) throw storageFailed(err);
    }
    const row = await this.journalRow(tenantId, rowKey);
    if (!row) throw conflict();
    return {
      key: row.key,
      status: row.status,
      result: JSON.parse(row.result),
      at: row.at,
      writer: row.writer || undefined,
    };
  }

  async takeOver(
    tenantId: string,
    incidentId: string,
    key: string,
    now: Date,
    writer: string,
  ): Promise<void> {
    await this.ensureTables();
    const rowKey = journalKey(incidentId, key);
    const entity = intendedRow(tenantId, rowKey, key, now, writer);
    const row = await this.journalRow(tenantId, rowKey);
    // Done meanwhile: never turn a result back into an intention.
    if (row?.status === 'done') throw conflict();
    try {
      // Gone: the former writer gave its claim up (abandon), so this one is new.
      if (!row) await this.clients.journal.createEntity(entity);
      else await this.clients.journal.updateEntity(entity, 'Replace', { etag: row.etag });
    } catch (err) {
      if (isConflict(err)) throw conflict();
      throw storageFailed(err);
    }
  }

  async abandon(tenantId: string, incidentId: string, key: string, writer: string): Promise<void> {
    await this.ensureTables();
    const rowKey = journalKey(incidentId, key);
    const row = await this.journalRow(tenantId, rowKey);
    if (!row || row.status !== 'intended' || row.writer !== writer) return;
    try {
      await this.clients.journal.deleteEntity(tenantId, rowKey, { etag: row.etag });
    } catch (err) {
      // Changed or gone since we read it: it is no longer our claim to remove.
      if (isConflict(err) || isNotFound(err)) return;
      throw storageFailed(err);
    }
  }

  async complete(
    tenantId: string,
    incidentId: string,
    key: string,
    result: unknown,
    now: Date,
  ): Promise<void> {
    await this.ensureTables();
    const entity = {
      partitionKey: tenantId,
      rowKey: journalKey(incidentId, key),
      key,
      status: 'done',
      result: JSON.stringify(result ?? null),
      at: now.toISOString(),
      writer: '',
    };
    await storageCall(this.clients.journal.upsertEntity(entity, 'Replace'));
  }

  private journalRow(tenantId: string, rowKey: string) {
    return this.getOrUndefined<{
      key: string;
      status: 'intended' | 'done';
      result: string;
      at: string;
      writer?: string;
      etag: string;
    }>(this.clients.journal, tenantId, rowKey);
  }

  async recordEvents(tenantId: string, events: RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ensureTables();
    for (let start = 0; start < events.length; start += TRANSACTION_LIMIT) {
      const actions: TransactionAction[] = events.slice(start, start + TRANSACTION_LIMIT).map((event) => [
        'upsert',
        {
          partitionKey: tenantId,
          rowKey: event.eventId,
          // A typed date, not Graph's text (7 fractional digits): compared as time, not as a string.
          at: new Date(event.at),
          userId: event.userId,
          verdict: event.verdict,
          incidentId: event.incidentId ?? '',
        },
        'Replace',
      ]);
      await storageCall(this.clients.events.submitTransaction(actions));
    }
  }

  async forgetEventsBefore(tenantId: string, before: Date, limit = 1_000): Promise<number> {
    await this.ensureTables();
    return storageCall(
      deleteRows(
        this.clients.events,
        tenantId,
        odata`PartitionKey eq ${tenantId} and at lt ${before}`,
        limit,
      ),
    );
  }

  async advanceCheckpoint(
    tenantId: string,
    windowEnd: Date,
    previous: Checkpoint | undefined,
  ): Promise<void> {
    await this.ensureTables();
    const entity = { partitionKey: tenantId, rowKey: CHECKPOINT_ROW, windowEnd: windowEnd.toISOString() };
    try {
      if (previous?.etag)
        await this.clients.checkpoints.updateEntity(entity, 'Replace', { etag: previous.etag });
      else await this.clients.checkpoints.createEntity(entity);
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) {
        // Another scan advanced it meanwhile; its window covered ours, and our results are already stored.
        return;
      }
      throw storageFailed(err);
    }
  }

  async listIncidents(tenantId?: string, options: { all?: boolean } = {}): Promise<StoredIncident[]> {
    await this.ensureTables();
    const filter = tenantId ? odata`PartitionKey eq ${tenantId}` : undefined;
    const rows = this.clients.incidents.listEntities<IncidentEntity>({ queryOptions: { filter } });
    const incidents: StoredIncident[] = [];
    for await (const row of storageCall(rows)) {
      if (options.all || row.state !== 'resolved') incidents.push(fromEntity(row));
    }
    return incidents;
  }

  private async incidentsOf(
    tenantId: string,
    cause: string,
  ): Promise<Array<IncidentEntity & { etag: string }>> {
    const rows = this.clients.incidents.listEntities<IncidentEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId} and cause eq ${cause}` },
    });
    const found: Array<IncidentEntity & { etag: string }> = [];
    for await (const row of storageCall(rows)) found.push(row);
    return found;
  }

  private async open(
    tenantId: string,
    incident: Incident,
    admins: AffectedAdmin[],
    sequence: number,
    now: Date,
  ): Promise<StoredIncident> {
    const opened = freshIncident(tenantId, incident, admins, sequence, now);
    const response = await this.clients.incidents.createEntity(toEntity(opened));
    return { ...opened, etag: response.etag };
  }

  private async addAdmins(
    active: StoredIncident,
    admins: AffectedAdmin[],
    now: Date,
  ): Promise<StoredIncident> {
    const merged = mergeAdmins(active.admins, admins);
    const userIds = [...new Set([...active.userIds, ...admins.map((admin) => admin.userId)])].sort();
    if (JSON.stringify(merged) === JSON.stringify(active.admins) && userIds.length === active.userIds.length)
      return active;
    const updated: StoredIncident = { ...active, userIds, admins: merged, updatedAt: now.toISOString() };
    const response = await this.clients.incidents.updateEntity(toEntity(updated), 'Replace', {
      etag: active.etag!,
    });
    return { ...updated, etag: response.etag };
  }

  private readonly ensureTables = createdOnce(
    () => Promise.all(Object.values(this.clients).map((client) => client.createTable())),
    storageFailed,
  );

  private async getOrUndefined<T extends object>(client: TableClient, partitionKey: string, rowKey: string) {
    try {
      return await client.getEntity<T>(partitionKey, rowKey);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storageFailed(err);
    }
  }
}

function toEntity(incident: StoredIncident): IncidentEntity {
  return {
    partitionKey: incident.tenantId,
    rowKey: incident.id,
    cause: incident.cause,
    state: incident.state,
    sequence: incident.sequence,
    userIds: JSON.stringify(incident.userIds),
    admins: JSON.stringify(incident.admins),
    notifiedUserIds: JSON.stringify(incident.notifiedUserIds),
    ticket: JSON.stringify(incident.ticket),
    remediation: JSON.stringify(incident.remediation),
    approval: JSON.stringify(incident.approval),
    disabledBy: JSON.stringify(incident.disabledBy),
    verifyingSince: incident.verifyingSince ?? '',
    transitions: JSON.stringify(incident.transitions.slice(-50)),
    openedAt: incident.openedAt,
    updatedAt: incident.updatedAt,
  };
}

function fromEntity(row: IncidentEntity & { etag?: string }): StoredIncident {
  return {
    id: row.rowKey,
    tenantId: row.partitionKey,
    cause: 'SSPR_009',
    state: row.state,
    sequence: row.sequence,
    userIds: JSON.parse(row.userIds),
    admins: JSON.parse(row.admins ?? '[]'),
    notifiedUserIds: JSON.parse(row.notifiedUserIds ?? '[]'),
    ticket: JSON.parse(row.ticket ?? 'null'),
    remediation: JSON.parse(row.remediation ?? 'null'),
    approval: JSON.parse(row.approval ?? 'null'),
    disabledBy: JSON.parse(row.disabledBy ?? 'null'),
    verifyingSince: row.verifyingSince || null,
    transitions: JSON.parse(row.transitions ?? '[]'),
    openedAt: row.openedAt,
    updatedAt: row.updatedAt,
    etag: row.etag,
  };
}

function journalKey(incidentId: string, key: string): string {
  // Row keys may not contain '/', '\\', '#' or '?'.
  return `${incidentId}|${key}`.replace(/[/\\#?]/g, '_');
}

function isConflict(err: unknown): boolean {
  return err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
}

/** A journal row saying `writer` is about to perform the action (no writer: a row from before leases). */
function intendedRow(tenantId: string, rowKey: string, key: string, now: Date, writer: string | undefined) {
  return {
    partitionKey: tenantId,
    rowKey,
    key,
    status: 'intended',
    result: 'null',
    at: now.toISOString(),
    writer: writer ?? '',
  };
}

function isNotFound(err: unknown): boolean {
  return err instanceof RestError && err.statusCode === 404;
}

function conflict(): AppError {
  return new AppError(
    'STATE.CONFLICT',
    'The incident kept changing under concurrent scans; the next scan will pick it up.',
    { transient: true },
  );
}

/** Wraps a storage promise or async iterator so that failures surface as STATE.UNAVAILABLE with a hint. */
function storageCall<T>(work: Promise<T>): Promise<T>;
function storageCall<T>(work: AsyncIterable<T>): AsyncIterable<T>;
function storageCall<T>(work: Promise<T> | AsyncIterable<T>): Promise<T> | AsyncIterable<T> {
  if (work instanceof Promise) return work.catch((err) => Promise.reject(storageFailed(err)));
  return (async function* () {
    try {
      yield* work;
    } catch (err) {
      throw storageFailed(err);
    }
  })();
}

const storageFailed = (err: unknown) => storageFailedIn('The state storage (STATE_STORAGE)', err);
