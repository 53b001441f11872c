import type { ScanResult } from './scanTenant';
import type { FleetRun } from './scanFleet';
import type { StoredIncident } from './ports/state';

/** The one JSON document `scan --json` prints: the contract scripts and the Functions app rely on. */
export function scanResultJson(result: ScanResult) {
  return {
    tenantId: result.tenantId,
    window: result.window,
    clippedToRetention: result.clippedToRetention,
    eventsRead: result.eventsRead,
    unattributedFailures: result.unattributedFailures,
    unmatchedReasons: result.unmatchedReasons,
    findings: result.findings.map((finding) => ({
      userId: finding.userId,
      userPrincipalName: finding.userPrincipalName,
      verdict: finding.verdict,
      reason: finding.reason,
      synced: finding.synced,
      roles: finding.roles,
      errorCode: finding.errorCode,
      eventIds: finding.eventIds,
    })),
    incidents: result.incidents.map(incidentJson),
    actionErrors: result.actionErrors,
    graphRequests: result.graphRequests,
  };
}

/** An incident as scripts see it: no evidence lists, the ticket and the fix as the issue describes them. */
export function incidentJson(incident: StoredIncident) {
  return {
    id: incident.id,
    tenantId: incident.tenantId,
    cause: incident.cause,
    state: incident.state,
    userIds: incident.userIds,
    ticket: incident.ticket,
    remediation: incident.remediation && {
      method: incident.remediation.method,
      jobName: incident.remediation.jobName,
      status: incident.remediation.status,
    },
    approval: incident.approval,
    disabledBy: incident.disabledBy,
    openedAt: incident.openedAt,
    updatedAt: incident.updatedAt,
    transitions: incident.transitions,
  };
}

/** `scan --all --json`: the fleet's figures, then each tenant's scan JSON, error or reason it was skipped. */
export function fleetRunJson(run: FleetRun) {
  return {
    fleet: {
      tenants: run.tenants,
      scanned: run.scanned,
      failed: run.failed,
      seconds: run.seconds,
      graphRequests: run.graphRequests,
    },
    scans: run.outcomes.map((outcome) => ('result' in outcome ? scanResultJson(outcome.result) : outcome)),
  };
}
