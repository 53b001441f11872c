import { ANONYMOUS_ID, type AuditEvent, type SsprFailure } from './model';
import {
  codeInText,
  decidesByActivity,
  matchSignature,
  normalizeReason,
  showsPastAdminGate,
  type Signature,
} from './signatures';

export type Classification =
  | { kind: 'failure'; failure: SsprFailure; unmatched: boolean }
  | { kind: 'unattributed-failure'; eventId: string; unmatched: boolean }
  | { kind: 'not-a-failure'; pastAdminGate: boolean };

/**
 * Decides whether one SSPR audit event is a failed reset and whose it is. The first matching rule
 * wins (operator rules come first), whatever Graph's `result` says: whether the service logs an
 * abandoned flow as a failure is not documented. An SSPR error code written in the text makes it a
 * failure unless a rule decides the whole activity (a signed-in password change is never a reset). A
 * text no rule knows falls back to `result` and is flagged `unmatched`, so operators can report it.
 */
export function classifyEvent(event: AuditEvent, rules: Signature[]): Classification {
  const rawReason = event.resultReason ?? '';
  const reason = normalizeReason(rawReason);
  const rule = matchSignature(rules, event.activityDisplayName, reason);
  const codeWritten = codeInText(reason);
  const code = rule?.code ?? codeWritten ?? null;
  const failed = rule
    ? rule.effect === 'failure' || (codeWritten !== undefined && !decidesByActivity(rule))
    : codeWritten !== undefined || event.result?.toLowerCase() === 'failure';
  // A signed-in change (an activity decided as a whole) is no reset flow and says nothing about its gate.
  const pastAdminGate =
    !(rule && decidesByActivity(rule)) && showsPastAdminGate(rules, event.activityDisplayName, reason);
  if (!failed) return { kind: 'not-a-failure', pastAdminGate };

  const unmatched = rule === undefined && codeWritten === undefined;
  const user = identifyUser(event);
  if (!user) return { kind: 'unattributed-failure', eventId: event.id, unmatched };
  return {
    kind: 'failure',
    unmatched,
    failure: {
      eventId: event.id,
      at: event.activityDateTime,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      activity: event.activityDisplayName,
      errorCode: code,
      rawReason,
      correlationId: event.correlationId ?? null,
      pastAdminGate,
    },
  };
}

export function wentPastAdminGate(reading: Classification): boolean {
  return reading.kind === 'not-a-failure'
    ? reading.pastAdminGate
    : reading.kind === 'failure' && reading.failure.pastAdminGate;
}

/**
 * A failure in a flow (one correlation id) that also went past the admin gate was not stopped by the
 * admin policy: the policy stops an administrator before any verification option is offered.
 */
export function markFlowsPastAdminGate(
  failures: SsprFailure[],
  flowsPastAdminGate: ReadonlySet<string>,
): void {
  for (const failure of failures) {
    if (failure.correlationId && flowsPastAdminGate.has(failure.correlationId.toLowerCase()))
      failure.pastAdminGate = true;
  }
}

/** The target resource of type User first (the account being reset), then the initiator. Never the all-zero id. */
export function identifyUser(
  event: AuditEvent,
): { id: string; userPrincipalName: string | null } | undefined {
  const target = event.targetResources?.find(
    (resource) => resource.type?.toLowerCase() === 'user' && isPerson(resource.id),
  );
  if (target?.id) return { id: target.id.toLowerCase(), userPrincipalName: target.userPrincipalName ?? null };
  const initiator = event.initiatedBy?.user;
  if (initiator && isPerson(initiator.id)) {
    return { id: initiator.id!.toLowerCase(), userPrincipalName: initiator.userPrincipalName ?? null };
  }
  return undefined;
}

function isPerson(id: string | null | undefined): boolean {
  return typeof id === 'string' && id.trim() !== '' && id !== ANONYMOUS_ID;
}

/** Groups failures per user, keeping the first time each event id is seen. */
export function groupByUser(failures: Iterable<SsprFailure>): Map<string, SsprFailure[]> {
  const byUser = new Map<string, SsprFailure[]>();
  const seen = new Set<string>();
  for (const failure of failures) {
    if (seen.has(failure.eventId)) continue;
    seen.add(failure.eventId);
    const list = byUser.get(failure.userId) ?? [];
    list.push(failure);
    byUser.set(failure.userId, list);
  }
  return byUser;
}
