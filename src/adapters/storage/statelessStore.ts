import type { AffectedAdmin } from '../../usecases/ports/actions';
import { AppError } from '../../errors';
import type { Incident } from '../../core/model';
import { freshIncident } from './incidentRecord';
import type { JournalEntry, StateStore, StoredIncident } from '../../usecases/ports/state';

/** Used when STATE_STORAGE is unset (report mode only): every scan stands alone, nothing is remembered. */
export class StatelessStore implements StateStore {
  readonly durable = false;

  async readCheckpoint(): Promise<undefined> {
    return undefined;
  }

  async recordedEventIds(): Promise<Set<string>> {
    return new Set();
  }

  async saveIncident(
    tenantId: string,
    incident: Incident,
    admins: AffectedAdmin[],
    now: Date,
  ): Promise<StoredIncident> {
    return freshIncident(tenantId, incident, admins, 1, now);
  }

  async joinLatestIncident(): Promise<undefined> {
    return undefined;
  }

  async getIncident(): Promise<undefined> {
    return undefined;
  }

  async updateIncident(): Promise<StoredIncident> {
    throw stateRequired();
  }

  async recordEvents(): Promise<void> {}

  async forgetEventsBefore(): Promise<number> {
    return 0;
  }

  async advanceCheckpoint(): Promise<void> {}

  async listIncidents(): Promise<StoredIncident[]> {
    return [];
  }

  async intend(): Promise<JournalEntry> {
    throw stateRequired();
  }

  async complete(): Promise<void> {
    throw stateRequired();
  }

  async takeOver(): Promise<void> {
    throw stateRequired();
  }

  async abandon(): Promise<void> {
    throw stateRequired();
  }
}

function stateRequired(): AppError {
  return new AppError(
    'STATE.REQUIRED',
    'Tickets, fixes and approvals need STATE_STORAGE: set it, or use ACTION_MODE=report.',
  );
}
