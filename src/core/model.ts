/** The shapes the scan works with. Graph's wire shapes are kept as Graph names them. */

export const ANONYMOUS_ID = '00000000-0000-0000-0000-000000000000';

/** A directoryAudit as Graph returns it (only the fields we read). */
export interface AuditEvent {
  id: string;
  activityDateTime: string;
  activityDisplayName: string;
  loggedByService?: string | null;
  category?: string | null;
  correlationId?: string | null;
  result?: string | null;
  resultReason?: string | null;
  initiatedBy?: {
    user?: { id?: string | null; userPrincipalName?: string | null; displayName?: string | null } | null;
    app?: unknown;
  } | null;
  targetResources?: Array<{
    id?: string | null;
    type?: string | null;
    userPrincipalName?: string | null;
    displayName?: string | null;
    modifiedProperties?: Array<{
      displayName?: string | null;
      oldValue?: string | null;
      newValue?: string | null;
    }> | null;
  }> | null;
}

export interface Window {
  from: Date;
  to: Date;
}

/** One failed SSPR attempt, attributed to a user. */
export interface SsprFailure {
  eventId: string;
  at: string;
  userId: string;
  userPrincipalName: string | null;
  activity: string;
  errorCode: string | null;
  rawReason: string;
  correlationId: string | null;
  /**
   * The flow went past the admin gate (verification options offered, a method used, a new password
   * chosen), so the admin policy did not stop this attempt: never evidence of SSPR_009.
   */
  pastAdminGate: boolean;
}

export interface AdminRole {
  templateId: string;
  displayName: string;
}

/** An active assignment in force now, and when it started (PIM `roleAssignmentScheduleInstances`). */
export interface ActiveAssignment {
  templateId: string;
  startDateTime: string | null;
  assignmentType: string | null;
}

/** PIM's view of a user now: when each active assignment started, and the roles they are only eligible for. */
export type PimView =
  { kind: 'read'; active: ActiveAssignment[]; eligible: AdminRole[] } | { kind: 'unread'; reason: string };

/**
 * What the directory told us about one user. Anything we could not learn is an explicit `unknown`;
 * `transient` says a later scan may learn it (throttled, 5xx, unreachable) rather than never (403, absent).
 */
export type UserFacts =
  | {
      kind: 'found';
      id: string;
      userPrincipalName: string | null;
      synced: boolean | null;
      roles:
        { kind: 'known'; adminRoles: AdminRole[] } | { kind: 'unknown'; reason: string; transient: boolean };
      /** PIM's view now: when each active assignment started, and eligible roles (absent: not asked). */
      pim?: PimView;
    }
  | { kind: 'not-found'; id: string }
  | { kind: 'unknown'; id: string; reason: string; transient: boolean };

/** The admin SSPR switch (`allowedToUseSSPR`). Absent, denied or failed reads are `unknown`, never `off`. */
export type PolicyFacts =
  | { kind: 'on'; enabledAt?: string }
  | { kind: 'off' }
  | { kind: 'unknown'; reason: string; transient: boolean };

export type Verdict = 'confirmed' | 'not-admin' | 'policy-on' | 'propagating' | 'cannot-confirm';

export interface Finding {
  userId: string;
  userPrincipalName: string | null;
  verdict: Verdict;
  reason: string;
  synced: boolean | null;
  roles: string[];
  errorCode: string | null;
  eventIds: string[];
}

export const SSPR_009 = 'SSPR_009';

export interface Incident {
  id: string;
  cause: typeof SSPR_009;
  userIds: string[];
}
