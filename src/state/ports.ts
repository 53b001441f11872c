import type { Incident, Verdict } from '../scan/model';

export interface Checkpoint {
  /** The end of the last window whose results are durable. */
  windowEnd: Date;
  /** Optimistic-concurrency tag: the write fails if another scan moved the checkpoint meanwhile. */
  etag?: string;
}

export interface StoredIncident extends Incident {
  tenantId: string;
  state: 'open';
  sequence: number;
  openedAt: string;
  updatedAt: string;
}

export interface RecordedEvent {
  eventId: string;
  at: string;
  userId: string;
  verdict: Verdict;
  incidentId?: string;
}

/** Where a scan keeps what must survive it. Writes are idempotent: a rerun after a crash repeats them safely. */
export interface StateStore {
  readonly durable: boolean;
  readCheckpoint(tenantId: string): Promise<Checkpoint | undefined>;
  /** Ids of failure events already recorded at or after `since`, so an overlapping window does not count them twice. */
  recordedEventIds(tenantId: string, since: Date): Promise<Set<string>>;
  /** Opens the tenant's incident for this cause, or adds the admins to the one already open. */
  saveIncident(tenantId: string, incident: Incident, now: Date): Promise<StoredIncident>;
  recordEvents(tenantId: string, events: RecordedEvent[]): Promise<void>;
  advanceCheckpoint(tenantId: string, windowEnd: Date, previous: Checkpoint | undefined): Promise<void>;
  listIncidents(tenantId?: string): Promise<StoredIncident[]>;
}
