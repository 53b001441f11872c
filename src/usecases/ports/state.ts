import type { AffectedAdmin, RemediationMethod, TicketRef } from './actions';
import type { Incident, Verdict } from '../../core/model';

export interface Checkpoint {
  /** The end of the last window whose results are durable. */
  windowEnd: Date;
  /** Optimistic-concurrency tag: the write fails if another scan moved the checkpoint meanwhile. */
  etag?: string;
}

/** open → ticketed → (approved) → remediating → verifying → resolved | failed (DESIGN.md §4, issue 4). */
export type IncidentState =
  'open' | 'ticketed' | 'approved' | 'remediating' | 'verifying' | 'resolved' | 'failed';

export interface Transition {
  from: IncidentState | null;
  to: IncidentState;
  at: string;
  actor: string;
  reason: string;
}

export interface StoredIncident extends Incident {
  tenantId: string;
  state: IncidentState;
  sequence: number;
  openedAt: string;
  updatedAt: string;
  /** Every confirmed admin, with the evidence a ticket shows. */
  admins: AffectedAdmin[];
  /** Admins already told to the ticket system (a repeat comments only on the others). */
  notifiedUserIds: string[];
  ticket: TicketRef | null;
  remediation: {
    method: RemediationMethod;
    jobName: string | null;
    status: string;
    startedAt: string;
  } | null;
  /** `overrideHardening`: the approver chose to revert a deliberate switch-off (the hardening guard). */
  approval: { by: string; at: string; overrideHardening?: boolean } | null;
  /** Who switched admin SSPR off and when, from the audit log; null when it does not show it. */
  disabledBy: { by: string | null; at: string } | null;
  verifyingSince: string | null;
  transitions: Transition[];
  /** Optimistic-concurrency tag of the stored row. */
  etag?: string;
}

export interface RecordedEvent {
  eventId: string;
  at: string;
  userId: string;
  verdict: Verdict;
  incidentId?: string;
}

/** A journalled external action: written as `intended` before the call, `done` (with its result) after. */
export interface JournalEntry {
  key: string;
  status: 'intended' | 'done';
  result: unknown;
  at: string;
  /** Who wrote the `intended` row: the lease holder (`owner#leaseId`); absent on rows from before leases were recorded. */
  writer?: string;
}

/**
 * What a tenant lease holder checks before each write (fencing): `assertHeld` throws STATE.LEASE_LOST
 * once the lease may be someone else's, so a holder that lost it stops instead of racing the new one.
 */
export interface Fence {
  assertHeld(): void;
}

/** Where a scan keeps what must survive it. Writes are idempotent: a rerun after a crash repeats them safely. */
export interface StateStore {
  readonly durable: boolean;
  readCheckpoint(tenantId: string): Promise<Checkpoint | undefined>;
  /** Ids of failure events already recorded at or after `since`, so an overlapping window does not count them twice. */
  recordedEventIds(tenantId: string, since: Date): Promise<Set<string>>;
  /** Opens the tenant's active incident for this cause, or adds the admins to it. */
  saveIncident(
    tenantId: string,
    incident: Incident,
    admins: AffectedAdmin[],
    now: Date,
  ): Promise<StoredIncident>;
  /**
   * Adds admins who failed at or after `failedSince` to the tenant's latest incident for this cause, if
   * it was still unresolved at that time (whatever its state now); undefined when there is no such incident.
   */
  joinLatestIncident(
    tenantId: string,
    cause: string,
    admins: AffectedAdmin[],
    failedSince: Date,
    now: Date,
  ): Promise<StoredIncident | undefined>;
  getIncident(tenantId: string, incidentId: string): Promise<StoredIncident | undefined>;
  /** Replaces the incident if nobody changed it since it was read (ETag); STATE.CONFLICT otherwise. */
  updateIncident(incident: StoredIncident): Promise<StoredIncident>;
  recordEvents(tenantId: string, events: RecordedEvent[]): Promise<void>;
  /** Deletes up to `limit` recorded events older than `before`; returns how many. */
  forgetEventsBefore(tenantId: string, before: Date, limit?: number): Promise<number>;
  advanceCheckpoint(tenantId: string, windowEnd: Date, previous: Checkpoint | undefined): Promise<void>;
  /** Incidents not yet resolved (all tenants when none is given); `all` includes resolved ones. */
  listIncidents(tenantId?: string, options?: { all?: boolean }): Promise<StoredIncident[]>;
  /** The journal entry for this action, writing it as `intended` by `writer` if there is none yet. */
  intend(
    tenantId: string,
    incidentId: string,
    key: string,
    now: Date,
    writer?: string,
  ): Promise<JournalEntry>;
  /** Rewrites an `intended` row another writer left (it lost the tenant or died) as this writer's. */
  takeOver(tenantId: string, incidentId: string, key: string, now: Date, writer: string): Promise<void>;
  /**
   * Deletes the `intended` row if it is still this writer's: the action failed and nothing of it is in
   * flight any more, so the next holder need not wait for it. Safe without the lease, as it only ever
   * removes the caller's own claim.
   */
  abandon(tenantId: string, incidentId: string, key: string, writer: string): Promise<void>;
  complete(tenantId: string, incidentId: string, key: string, result: unknown, now: Date): Promise<void>;
}
