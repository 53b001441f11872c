import { SSPR_009, type Finding, type SsprFailure } from '../core/model';
import { switchValueAt } from '../core/policyChanges';
import type { Facts } from './learnFacts';
import type { AffectedAdmin } from './ports/actions';
import type { StateStore } from './ports/state';

/**
 * Admins judged `propagating` or `policy-on` who failed while the switch was still off (say, unreadable
 * in the scan that fixed it) were blocked by the same outage: they join the incident that covered it,
 * so its record names everyone affected. Never a new incident or action: the switch is already on.
 * Returns the incident id each joined admin's events belong to.
 */
export async function joinLateAdmins(
  deps: { state: StateStore },
  tenantId: string,
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
  facts: Facts,
  now: Date,
) {
  const failedWhileOff = (userId: string) =>
    failuresByUser
      .get(userId)!
      .filter((failure) => !failure.pastAdminGate && !switchValueAt(failure.at, facts.history, true));
  const late = findings.filter(
    (finding) =>
      (finding.verdict === 'propagating' || finding.verdict === 'policy-on') &&
      failedWhileOff(finding.userId).length > 0,
  );
  if (late.length === 0) return new Map<string, string>();
  const since = new Date(
    Math.min(
      ...late.flatMap((finding) => failedWhileOff(finding.userId).map((failure) => Date.parse(failure.at))),
    ),
  );
  const incident = await deps.state.joinLatestIncident(
    tenantId,
    SSPR_009,
    affectedAdmins(late, failuresByUser),
    since,
    now,
  );
  return new Map(incident ? late.map((finding) => [finding.userId, incident.id]) : []);
}

export function confirmedOnly(findings: Finding[]): Finding[] {
  return findings.filter((finding) => finding.verdict === 'confirmed');
}

/** These admins with the evidence a ticket shows. */
export function affectedAdmins(
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
): AffectedAdmin[] {
  return findings.map((finding) => {
    const failures = failuresByUser.get(finding.userId)!;
    return {
      userId: finding.userId,
      userPrincipalName: finding.userPrincipalName,
      roles: finding.roles,
      synced: finding.synced,
      eventIds: finding.eventIds,
      correlationIds: [
        ...new Set(failures.map((failure) => failure.correlationId).filter((id): id is string => !!id)),
      ],
      lastFailureAt:
        failures
          .map((failure) => failure.at)
          .sort()
          .at(-1) ?? null,
    };
  });
}
