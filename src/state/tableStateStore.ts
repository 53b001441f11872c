import type { TokenCredential } from '@azure/identity';
import { odata, RestError, TableClient, type TransactionAction } from '@azure/data-tables';
import { AppError } from '../errors';
import { incidentId } from '../scan/incident';
import type { Incident } from '../scan/model';
import type { Checkpoint, RecordedEvent, StateStore, StoredIncident } from './ports';

const TABLES = { checkpoints: 'ssprCheckpoints', incidents: 'ssprIncidents', events: 'ssprEvents' } as const;
const CHECKPOINT_ROW = 'auditLog';
const TRANSACTION_LIMIT = 100;
const MAX_CONFLICT_RETRIES = 5;

interface IncidentEntity {
  partitionKey: string;
  rowKey: string;
  cause: string;
  state: 'open' | 'resolved';
  sequence: number;
  userIds: string;
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
  private ready?: Promise<void>;

  constructor(connection: string, credential: TokenCredential) {
    const client = (table: string) =>
      /^https:\/\//i.test(connection)
        ? new TableClient(connection, table, credential)
        : TableClient.fromConnectionString(connection, table, { allowInsecureConnection: isLocal(connection) });
    this.clients = {
      checkpoints: client(TABLES.checkpoints),
      incidents: client(TABLES.incidents),
      events: client(TABLES.events),
    };
  }

  async readCheckpoint(tenantId: string): Promise<Checkpoint | undefined> {
    await this.ensureTables();
    const entity = await this.getOrUndefined<{ windowEnd: string; etag: string }>(this.clients.checkpoints, tenantId, CHECKPOINT_ROW);
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

  async saveIncident(tenantId: string, incident: Incident, now: Date): Promise<StoredIncident> {
    await this.ensureTables();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const existing = await this.incidentsOf(tenantId, incident.cause);
      const open = existing.find((row) => row.state === 'open');
      try {
        if (open) return await this.addAdmins(open, incident.userIds, now);
        return await this.open(tenantId, incident, existing.length + 1, now);
      } catch (err) {
        // 409: another scan opened it first; 412: another scan changed it. Re-read and merge.
        if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) continue;
        throw storageFailed(err);
      }
    }
    throw new AppError('STATE.CONFLICT', 'The incident kept changing under concurrent scans; the next scan will merge it.', {
      transient: true,
    });
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

  async advanceCheckpoint(tenantId: string, windowEnd: Date, previous: Checkpoint | undefined): Promise<void> {
    await this.ensureTables();
    const entity = { partitionKey: tenantId, rowKey: CHECKPOINT_ROW, windowEnd: windowEnd.toISOString() };
    try {
      if (previous?.etag) await this.clients.checkpoints.updateEntity(entity, 'Replace', { etag: previous.etag });
      else await this.clients.checkpoints.createEntity(entity);
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) {
        // Another scan advanced it meanwhile; its window covered ours, and our results are already stored.
        return;
      }
      throw storageFailed(err);
    }
  }

  async listIncidents(tenantId?: string): Promise<StoredIncident[]> {
    await this.ensureTables();
    const filter = tenantId ? odata`PartitionKey eq ${tenantId}` : undefined;
    const rows = this.clients.incidents.listEntities<IncidentEntity>({ queryOptions: { filter } });
    const incidents: StoredIncident[] = [];
    for await (const row of storageCall(rows)) if (row.state === 'open') incidents.push(toIncident(row));
    return incidents;
  }

  private async incidentsOf(tenantId: string, cause: string): Promise<Array<IncidentEntity & { etag: string }>> {
    const rows = this.clients.incidents.listEntities<IncidentEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId} and cause eq ${cause}` },
    });
    const found: Array<IncidentEntity & { etag: string }> = [];
    for await (const row of storageCall(rows)) found.push(row as IncidentEntity & { etag: string });
    return found;
  }

  private async open(tenantId: string, incident: Incident, sequence: number, now: Date): Promise<StoredIncident> {
    const at = now.toISOString();
    const entity: IncidentEntity = {
      partitionKey: tenantId,
      rowKey: incidentId(tenantId, incident.cause, sequence),
      cause: incident.cause,
      state: 'open',
      sequence,
      userIds: JSON.stringify([...incident.userIds].sort()),
      openedAt: at,
      updatedAt: at,
    };
    await this.clients.incidents.createEntity(entity);
    return toIncident(entity);
  }

  private async addAdmins(open: IncidentEntity & { etag: string }, userIds: string[], now: Date): Promise<StoredIncident> {
    const known = JSON.parse(open.userIds) as string[];
    const merged = [...new Set([...known, ...userIds])].sort();
    if (merged.length === known.length) return toIncident(open);
    const updated: IncidentEntity = { ...pickIncident(open), userIds: JSON.stringify(merged), updatedAt: now.toISOString() };
    await this.clients.incidents.updateEntity(updated, 'Replace', { etag: open.etag });
    return toIncident(updated);
  }

  private ensureTables(): Promise<void> {
    this.ready ??= Promise.all(Object.values(this.clients).map((client) => client.createTable()))
      .then(() => undefined)
      .catch((err) => {
        this.ready = undefined;
        throw storageFailed(err);
      });
    return this.ready;
  }

  private async getOrUndefined<T extends object>(client: TableClient, partitionKey: string, rowKey: string) {
    try {
      return await client.getEntity<T>(partitionKey, rowKey);
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw storageFailed(err);
    }
  }
}

function pickIncident(row: IncidentEntity): IncidentEntity {
  const { partitionKey, rowKey, cause, state, sequence, userIds, openedAt, updatedAt } = row;
  return { partitionKey, rowKey, cause, state, sequence, userIds, openedAt, updatedAt };
}

function toIncident(row: IncidentEntity): StoredIncident {
  return {
    id: row.rowKey,
    tenantId: row.partitionKey,
    cause: 'SSPR_009',
    state: 'open',
    sequence: row.sequence,
    userIds: JSON.parse(row.userIds),
    openedAt: row.openedAt,
    updatedAt: row.updatedAt,
  };
}

function isLocal(connection: string): boolean {
  return /UseDevelopmentStorage=true|=http:\/\/(127\.0\.0\.1|localhost)/i.test(connection);
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

function storageFailed(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const detail = err instanceof RestError ? `${err.statusCode ?? ''} ${err.code ?? err.message}`.trim() : String(err);
  return new AppError('STATE.UNAVAILABLE', `The state storage (STATE_STORAGE) failed: ${detail}. Check the connection string and that the account is reachable.`, {
    transient: true,
    cause: err,
  });
}
