import { adminRole } from './adminRoles';
import {
  type AdminRole,
  type Finding,
  type PolicyFacts,
  type SsprFailure,
  type UserFacts,
  type Verdict,
} from './model';
import { switchValueAt, type PolicySwitch } from './policyChanges';
import { grantedAfter, rolesAt, type RoleCoverage, type RolesOverTime } from './roleHistory';

/** A user's roles beyond today's: their changes and PIM state (absent: judged by today's roles). */
export interface RoleEvidence {
  overTime?: RolesOverTime;
  coverage?: RoleCoverage;
}

/** A change to the admin SSPR switch takes up to 60 minutes to apply (DESIGN.md §2). */
export const PROPAGATION_MS = 60 * 60_000;

/**
 * One verdict per user. Only `confirmed` may lead to an action, so every gap in what we know
 * (user missing, roles or policy unreadable) is `cannot-confirm`, never a guess.
 */
export function judgeUser(
  user: UserFacts,
  policy: PolicyFacts,
  failures: SsprFailure[],
  now: Date,
  history: PolicySwitch[] = [],
  evidence: RoleEvidence = {},
): Finding {
  const decision = decide(user, policy, failures, now, history, evidence);
  const found = user.kind === 'found' ? user : undefined;
  const roles = decision.roles.map((role) => role.displayName);
  return {
    userId: user.id,
    userPrincipalName:
      found?.userPrincipalName ?? failures.find((f) => f.userPrincipalName)?.userPrincipalName ?? null,
    verdict: decision.verdict,
    reason: decision.reason,
    synced: found?.synced ?? null,
    roles,
    // An admin failing while the admin switch is off is SSPR_009 whatever the text says.
    errorCode: decision.verdict === 'confirmed' ? 'SSPR_0009' : mostCommonCode(failures),
    eventIds: failures.map((failure) => failure.eventId),
  };
}

function decide(
  user: UserFacts,
  policy: PolicyFacts,
  failures: SsprFailure[],
  now: Date,
  history: PolicySwitch[],
  evidence: RoleEvidence,
): Decision {
  const judged = judgeRoles(user, failures, evidence);
  if ('verdict' in judged) return { ...judged, roles: [] };
  const note = historyNote(evidence.overTime);
  const decision = decideByPolicy(policy, judged.failures, now, history);
  return { ...decision, reason: decision.reason + note, roles: judged.roles };
}

interface Decision {
  verdict: Verdict;
  reason: string;
  /** The admin roles the user held at the failures judged. */
  roles: AdminRole[];
}

/**
 * The failures at which the user held an admin role, and those roles; or the verdict when there is
 * none (user unreadable, not an admin then, only eligible). Each failure is judged by the roles as
 * they stood then: an activation since expired or an assignment since removed still counts, a role
 * granted after the failure does not.
 */
function judgeRoles(
  user: UserFacts,
  failures: SsprFailure[],
  evidence: RoleEvidence,
): { failures: SsprFailure[]; roles: AdminRole[] } | { verdict: Verdict; reason: string } {
  if (user.kind === 'not-found') {
    return {
      verdict: 'cannot-confirm',
      reason: 'The user was not found in the directory (deleted, or not in this tenant).',
    };
  }
  if (user.kind === 'unknown')
    return { verdict: 'cannot-confirm', reason: `The user could not be read: ${user.reason}` };
  if (user.roles.kind === 'unknown') {
    return {
      verdict: 'cannot-confirm',
      reason: `The user's directory roles could not be read: ${user.roles.reason}`,
    };
  }
  const coverage = evidence.coverage ?? ((templateId: string) => adminRole(templateId));
  const current = user.roles.adminRoles;
  const held = new Map<string, AdminRole>();
  const adminFailures = failures.filter((failure) => {
    const roles = rolesAt(failure.at, current, evidence.overTime, coverage);
    for (const role of roles) held.set(role.templateId, role);
    return roles.length > 0;
  });
  if (adminFailures.length > 0) return { failures: adminFailures, roles: [...held.values()] };

  const note = historyNote(evidence.overTime);
  const pim = evidence.overTime?.pim;
  const eligible = pim?.kind === 'read' ? pim.eligible : [];
  if (eligible.length > 0) {
    return {
      verdict: 'cannot-confirm',
      reason: `The user held no active administrator role when they failed but is eligible (PIM) for ${names(eligible)}, not activated then. Microsoft does not say whether the admin reset policy covers an eligible role that is not active: check the user SSPR policy, or activate the role and retry.${note}`,
    };
  }
  if (current.length > 0) {
    const oldest = failures.map((failure) => failure.at).sort()[0];
    const since = grantedAfter(oldest, evidence.overTime, coverage);
    return {
      verdict: 'not-admin',
      reason: `The user held no administrator role when they failed (${names(current)} came later${since ? `, at ${since}` : ''}), so the user SSPR policy applied: check that policy, not the admin switch.`,
    };
  }
  const eligibility = pim?.kind === 'unread' ? ` PIM eligibility was not checked: ${pim.reason}.` : '';
  return {
    verdict: 'not-admin',
    reason: `The user holds no administrator role, so the user SSPR policy applies: check that policy, not the admin switch.${note}${eligibility}`,
  };
}

function names(roles: AdminRole[]): string {
  return roles.map((role) => role.displayName).join(', ');
}

/** Said whenever the role history could not be read: the verdict then rests on today's roles. */
function historyNote(overTime: RolesOverTime | undefined): string {
  return overTime?.changes.kind === 'unread'
    ? ` Role changes since the failure were not checked (judged by today's roles): ${overTime.changes.reason}.`
    : '';
}

function decideByPolicy(
  policy: PolicyFacts,
  failures: SsprFailure[],
  now: Date,
  history: PolicySwitch[],
): { verdict: Verdict; reason: string } {
  switch (policy.kind) {
    case 'unknown':
      return {
        verdict: 'cannot-confirm',
        reason: `The user is an administrator, but the admin SSPR switch (allowedToUseSSPR) could not be read: ${policy.reason}`,
      };
    case 'off': {
      // A flow that went past the admin gate was not stopped by the admin policy, whatever else it logged.
      const stoppable = failures.filter((failure) => !failure.pastAdminGate);
      if (stoppable.length === 0) {
        return {
          verdict: 'cannot-confirm',
          reason:
            'The user is an administrator and SSPR for administrators is off, yet their reset went past the admin gate (verification was offered), which the admin policy would have prevented: that failure has another cause, or the user was not an administrator then.',
        };
      }
      // Judge each failure by the switch as it stood then: an old failure may predate a recent switch-off.
      if (stoppable.some((failure) => !switchValueAt(failure.at, history, false))) {
        return {
          verdict: 'confirmed',
          reason:
            'The user is an administrator and SSPR for administrators (allowedToUseSSPR) is off: this is SSPR_009.',
        };
      }
      const switchedOff = history.filter((change) => !change.allowedToUseSSPR).at(-1);
      return {
        verdict: 'policy-on',
        reason: `The user failed while SSPR for administrators was still on (it was switched off at ${switchedOff?.at ?? 'a later time'}): that failure has another cause.`,
      };
    }
    case 'on':
      if (policy.enabledAt && now.getTime() - Date.parse(policy.enabledAt) < PROPAGATION_MS) {
        return {
          verdict: 'propagating',
          reason: `SSPR for administrators was switched on at ${policy.enabledAt}; changes take up to 60 minutes to apply.`,
        };
      }
      return {
        verdict: 'policy-on',
        reason:
          'The user is an administrator but SSPR for administrators is already on: the failure has another cause.',
      };
  }
}

function mostCommonCode(failures: SsprFailure[]): string | null {
  const counts = new Map<string, number>();
  for (const { errorCode } of failures)
    if (errorCode) counts.set(errorCode, (counts.get(errorCode) ?? 0) + 1);
  let best: string | null = null;
  for (const [code, count] of counts) if (best === null || count > counts.get(best)!) best = code;
  return best;
}
