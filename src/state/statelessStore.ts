import type { Incident } from '../scan/model';
import type { StateStore, StoredIncident } from './ports';

/** Used when STATE_STORAGE is unset: every scan stands alone, nothing is remembered, nothing is written. */
export class StatelessStore implements StateStore {
  readonly durable = false;

  async readCheckpoint(): Promise<undefined> {
    return undefined;
  }

  async recordedEventIds(): Promise<Set<string>> {
    return new Set();
  }

  async saveIncident(tenantId: string, incident: Incident, now: Date): Promise<StoredIncident> {
    const at = now.toISOString();
    return { ...incident, tenantId, state: 'open', sequence: 1, openedAt: at, updatedAt: at };
  }

  async recordEvents(): Promise<void> {}

  async advanceCheckpoint(): Promise<void> {}

  async listIncidents(): Promise<StoredIncident[]> {
    return [];
  }
}
