/** Ports for what an incident leads to: a ticket, a fix. Adapters live beside this file. */

export type TicketSystemName = 'servicenow' | 'jira' | 'azuredevops' | 'github' | 'webhook';
export type TicketEvent = 'opened' | 'updated' | 'resolved' | 'failed';

export interface TicketRef {
  system: TicketSystemName;
  id: string;
  url: string;
  /**
   * Where the ticket was filed when a tenant's routing chose it (issue 15): the GitHub repository
   * (owner/name) or Azure DevOps project. Updates go there whatever the routing says later; absent, the
   * deployment's own setting (tickets filed before routing existed, or without an override).
   */
  destination?: string;
}

export interface AffectedAdmin {
  userId: string;
  userPrincipalName: string | null;
  roles: string[];
  synced: boolean | null;
  eventIds: string[];
  correlationIds: string[];
  lastFailureAt: string | null;
}

/** Everything a ticket says. Text here is raw: each sink escapes it for its own format. */
export interface TicketContent {
  incidentId: string;
  tenantId: string;
  cause: 'SSPR_009';
  event: TicketEvent;
  /** Every admin affected so far. */
  admins: AffectedAdmin[];
  /** For `updated`: the admins this update adds. */
  newAdmins: AffectedAdmin[];
  policy: { allowedToUseSSPR: boolean | null };
  /** Who switched admin SSPR off and when ("Update authorization policy"), when the audit log shows it. */
  disabledBy: { by: string | null; at: string } | null;
  remediation: { method: 'runbook' | 'graph'; jobName: string | null; status: string } | null;
  /** One sentence on why this update happens (e.g. the hardening guard, a failed verification). */
  note: string | null;
}

export interface TicketSink {
  readonly system: TicketSystemName;
  /** The ticket already filed for this incident, found by the system's own dedupe key (never by title). */
  find(incidentId: string): Promise<TicketRef | undefined>;
  /** Files the ticket. `idempotencyKey` is deterministic (incident + event), never a timestamp. */
  create(content: TicketContent, idempotencyKey: string): Promise<TicketRef>;
  /** Adds a comment for `content.event`; `resolved` also closes the ticket where the system has states. */
  update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void>;
}

export type RemediationMethod = 'runbook' | 'graph';

export interface RemediationRef {
  method: RemediationMethod;
  /** The Automation job name (a UUID derived from tenant + incident); null for a direct Graph PATCH. */
  jobName: string | null;
}

export interface RemediationProgress {
  /** Automation job status (New, Running, Completed, Failed, …) or, for Graph, Completed / Failed. */
  status: string;
  terminal: boolean;
  /** Terminal and the runbook/PATCH reported success. Not proof: only a re-read policy proves the fix. */
  succeeded: boolean;
  /** The runbook's final JSON line, when it wrote one. */
  result: { incidentId: string; allowedToUseSSPR: boolean | null; method: string } | null;
  detail: string | null;
}

export interface Remediator {
  readonly method: RemediationMethod;
  /** Starts the fix. Idempotent: a retry after a crash finds the job it started instead of a second one. */
  start(tenantId: string, incidentId: string): Promise<RemediationRef>;
  progress(ref: RemediationRef): Promise<RemediationProgress>;
}
