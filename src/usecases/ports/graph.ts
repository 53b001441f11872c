import type { AuditEvent, PolicyFacts, UserFacts, Window } from '../../core/model';
import type { RoleCoverage } from '../../core/roleHistory';
import type { RegistrationFacts } from '../../core/policyOnCause';

/** Reads the tenant's audit log, one page at a time, so memory stays flat whatever the volume. */
export interface AuditLogReader {
  /** Events logged by the Self-service Password Management service in the window. */
  ssprEvents(window: Window): AsyncIterable<AuditEvent[]>;
  /** "Update authorization policy" events in the window: who switched admin SSPR on or off, and when. */
  authorizationPolicyChanges(window: Window): AsyncIterable<AuditEvent[]>;
  /** Active role assignments made or ended in the window ("Add member to role…", "Remove member from role…"). */
  roleChanges(window: Window): AsyncIterable<AuditEvent[]>;
}

/** Reads the facts a verdict needs from the directory. Failures come back as `unknown`, never thrown. */
export interface DirectoryReader {
  adminSsprPolicy(): Promise<PolicyFacts>;
  users(ids: string[]): Promise<Map<string, UserFacts>>;
  /**
   * Which role template ids the admin reset policy covers, resolving listed roles without a known id by
   * name from the role definitions (read at most once); `gap` says why they could not be resolved.
   */
  roleCoverage(templateIds: string[]): Promise<{ covers: RoleCoverage; gap?: string }>;
  /** Each user's SSPR registration (userRegistrationDetails), in $batch; failures come back `unread`. */
  registrationDetails(ids: string[]): Promise<Map<string, RegistrationFacts>>;
}

/** What one scan asked of Graph, for its result and telemetry. */
export interface GraphStats {
  /** HTTP requests sent to Graph, retries included. */
  total: number;
  /** 429 answers, whole requests and $batch items alike. */
  throttled: number;
}

/** One read a scan makes, tried on its own by `tenants check`, and how it went. */
export interface ReadCheck {
  /** What is read, in words: "audit log", "authorization policy", … */
  read: string;
  /** The request, e.g. `GET /auditLogs/directoryAudits?$top=1`. */
  request: string;
  /** The Graph application permission it needs (infra/graph-permissions.json). */
  permission: string;
  /** `missing-permission`: Graph answered 403 (the permission is not granted or not consented). */
  outcome: 'ok' | 'missing-permission' | 'error';
  code?: string;
  message?: string;
}

/** Whether a token for the tenant could be had at all (consent, federation, the credential). */
export type TokenCheck = { ok: true } | { ok: false; code: string; message: string };

/** Tries every read a scan of one tenant makes, once each, with the scan's own Graph client. */
export interface TenantAccessProbe {
  /** Stops at the first read that gets no token: no read can work without one. */
  tryReads(): Promise<{ token: TokenCheck; reads: ReadCheck[] }>;
}
