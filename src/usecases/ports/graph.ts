import type { AuditEvent, PolicyFacts, UserFacts, Window } from '../../core/model';

/** Reads the tenant's audit log, one page at a time, so memory stays flat whatever the volume. */
export interface AuditLogReader {
  /** Events logged by the Self-service Password Management service in the window. */
  ssprEvents(window: Window): AsyncIterable<AuditEvent[]>;
  /** "Update authorization policy" events in the window: who switched admin SSPR on or off, and when. */
  authorizationPolicyChanges(window: Window): AsyncIterable<AuditEvent[]>;
}

/** Reads the facts a verdict needs from the directory. Failures come back as `unknown`, never thrown. */
export interface DirectoryReader {
  adminSsprPolicy(): Promise<PolicyFacts>;
  users(ids: string[]): Promise<Map<string, UserFacts>>;
}

/** What one scan asked of Graph, for its result and telemetry. */
export interface GraphStats {
  /** HTTP requests sent to Graph, retries included. */
  total: number;
  /** 429 answers, whole requests and $batch items alike. */
  throttled: number;
}
