import { ANONYMOUS_ID, type AuditEvent, type SsprFailure } from './model';
import { codeInText, matchSignature, normalizeReason, type Signature } from './signatures';

export type Classification =
  | { kind: 'failure'; failure: SsprFailure }
  | { kind: 'unattributed-failure'; eventId: string }
  | { kind: 'not-a-failure' };

/**
 * Decides whether one SSPR audit event is a failed reset and whose it is. The first matching rule
 * wins (operator rules come first; built-in failure rules precede benign ones), so a "user canceled"
 * failure is benign. An SSPR error code written in the text always makes it a failure; otherwise
 * Graph's `result` decides.
 */
export function classifyEvent(event: AuditEvent, rules: Signature[]): Classification {
  const rawReason = event.resultReason ?? '';
  const reason = normalizeReason(rawReason);
  const rule = matchSignature(rules, event.activityDisplayName, reason);
  const codeWritten = codeInText(reason);
  const code = rule?.code ?? codeWritten ?? null;
  const failed = codeWritten !== undefined || (rule ? rule.effect === 'failure' : event.result?.toLowerCase() === 'failure');
  if (!failed) return { kind: 'not-a-failure' };

  const user = identifyUser(event);
  if (!user) return { kind: 'unattributed-failure', eventId: event.id };
  return {
    kind: 'failure',
    failure: {
      eventId: event.id,
      at: event.activityDateTime,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      activity: event.activityDisplayName,
      errorCode: code,
      rawReason,
      correlationId: event.correlationId ?? null,
    },
  };
}

/** The target resource of type User first (the account being reset), then the initiator. Never the all-zero id. */
export function identifyUser(event: AuditEvent): { id: string; userPrincipalName: string | null } | undefined {
  const target = event.targetResources?.find((resource) => resource.type?.toLowerCase() === 'user' && isPerson(resource.id));
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
