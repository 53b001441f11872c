import type { Finding, SsprFailure } from '../core/model';
import type { Facts } from './learnFacts';

const VERDICT_ORDER = ['confirmed', 'cannot-confirm', 'propagating', 'policy-on', 'not-admin'];

/** Stable output: what needs action first, then by user. */
export function byVerdictThenUser(a: Finding, b: Finding): number {
  const order = VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict);
  return order !== 0
    ? order
    : (a.userPrincipalName ?? a.userId).localeCompare(b.userPrincipalName ?? b.userId);
}

/** A `cannot-confirm` caused by throttling, a 5xx or no answer: the next scan must look at it again. */
export function isRetryable(finding: Finding, facts: Facts): boolean {
  if (finding.verdict !== 'cannot-confirm') return false;
  const user = facts.users.get(finding.userId);
  if (user?.kind === 'unknown') return user.transient;
  if (user?.kind === 'found' && user.roles.kind === 'unknown') return user.roles.transient;
  return facts.policy.kind === 'unknown' && facts.policy.transient;
}

/** The checkpoint stops just before the oldest failure that must be looked at again, so it is re-read. */
export function holdBefore(findings: Finding[], facts: Facts, failuresByUser: Map<string, SsprFailure[]>) {
  const times = findings
    .filter((finding) => isRetryable(finding, facts))
    .flatMap((finding) => failuresByUser.get(finding.userId)!.map((failure) => Date.parse(failure.at)));
  return times.length > 0 ? new Date(Math.min(...times) - 1) : undefined;
}

export function recordedEvents(
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
  incidentId: string | undefined,
  lateJoined: Map<string, string>,
) {
  return findings.flatMap((finding) =>
    failuresByUser.get(finding.userId)!.map((failure) => ({
      eventId: failure.eventId,
      at: failure.at,
      userId: failure.userId,
      verdict: finding.verdict,
      incidentId: finding.verdict === 'confirmed' ? incidentId : lateJoined.get(finding.userId),
    })),
  );
}
