import type { AffectedAdmin } from './ports/actions';
import type { Incident } from '../core/model';
import type { Checkpoint, Fence, RecordedEvent, StateStore, StoredIncident } from './ports/state';

/**
 * The store as a tenant lease holder must use it: every write first checks that the lease is still
 * held, so an instance whose renewal failed stops writing before a new holder can start. Reads pass
 * through. Spelled out method by method, so a new StateStore method cannot skip the decision.
 */
export class FencedStateStore implements StateStore {
  constructor(
    private readonly store: StateStore,
    private readonly fence: Fence,
  ) {}

  get durable(): boolean {
    return this.store.durable;
  }

  readCheckpoint(tenantId: string) {
    return this.store.readCheckpoint(tenantId);
  }

  recordedEventIds(tenantId: string, since: Date) {
    return this.store.recordedEventIds(tenantId, since);
  }

  getIncident(tenantId: string, incidentId: string) {
    return this.store.getIncident(tenantId, incidentId);
  }

  listIncidents(tenantId?: string, options?: { all?: boolean }) {
    return this.store.listIncidents(tenantId, options);
  }

  async saveIncident(tenantId: string, incident: Incident, admins: AffectedAdmin[], now: Date) {
    this.fence.assertHeld();
    return this.store.saveIncident(tenantId, incident, admins, now);
  }

  async joinLatestIncident(
    tenantId: string,
    cause: string,
    admins: AffectedAdmin[],
    failedSince: Date,
    now: Date,
  ) {
    this.fence.assertHeld();
    return this.store.joinLatestIncident(tenantId, cause, admins, failedSince, now);
  }

  async updateIncident(incident: StoredIncident) {
    this.fence.assertHeld();
    return this.store.updateIncident(incident);
  }

  async recordEvents(tenantId: string, events: RecordedEvent[]) {
    this.fence.assertHeld();
    return this.store.recordEvents(tenantId, events);
  }

  async forgetEventsBefore(tenantId: string, before: Date, limit?: number) {
    this.fence.assertHeld();
    return this.store.forgetEventsBefore(tenantId, before, limit);
  }

  async advanceCheckpoint(tenantId: string, windowEnd: Date, previous: Checkpoint | undefined) {
    this.fence.assertHeld();
    return this.store.advanceCheckpoint(tenantId, windowEnd, previous);
  }

  async intend(tenantId: string, incidentId: string, key: string, now: Date, writer?: string) {
    this.fence.assertHeld();
    return this.store.intend(tenantId, incidentId, key, now, writer);
  }

  async takeOver(tenantId: string, incidentId: string, key: string, now: Date, writer: string) {
    this.fence.assertHeld();
    return this.store.takeOver(tenantId, incidentId, key, now, writer);
  }

  async complete(tenantId: string, incidentId: string, key: string, result: unknown, now: Date) {
    this.fence.assertHeld();
    return this.store.complete(tenantId, incidentId, key, result, now);
  }

  /** Not fenced: it only removes the caller's own claim, which a holder that lost its lease must still do. */
  abandon(tenantId: string, incidentId: string, key: string, writer: string) {
    return this.store.abandon(tenantId, incidentId, key, writer);
  }
}
