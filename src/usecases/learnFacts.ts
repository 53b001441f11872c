import { toAppError } from '../errors';
import type { AuditEvent, PolicyFacts, SsprFailure, UserFacts } from '../core/model';
import { adminSsprSwitches, lastSwitchedOn, type PolicySwitch } from '../core/policyChanges';
import { roleChanges, rolesAt, type RoleCoverage, type RolesOverTime } from '../core/roleHistory';
import type { RoleEvidence } from '../core/verdict';
import { PROPAGATION_MS } from '../core/verdict';
import type { AuditLogReader, DirectoryReader } from './ports/graph';

export interface FactsDependencies {
  auditLog: AuditLogReader;
  directory: DirectoryReader;
  progress?: (message: string) => void;
}

export interface Facts {
  users: Map<string, UserFacts>;
  policy: PolicyFacts;
  /** Changes of the admin switch since the oldest admin failure (and the last 60 minutes), oldest first. */
  history: PolicySwitch[];
  /** Each failing user's roles over time: the audit log's role changes and PIM's view. */
  roles: Map<string, RolesOverTime>;
  coverage: RoleCoverage;
}

/**
 * The directory facts behind the verdicts, read once per scan: each distinct user in $batch (roles now
 * and PIM's view), the admin switch once, the role changes since the oldest failure once (so each
 * failure is judged by the roles as they stood then), and, when someone was an admin at a failure, the
 * switch's changes since (so each failure is judged by the switch as it stood then, and a recent
 * switch-on reads as propagating).
 */
export async function learnFacts(
  deps: FactsDependencies,
  failuresByUser: Map<string, SsprFailure[]>,
  now: Date,
): Promise<Facts> {
  if (failuresByUser.size === 0) {
    return {
      users: new Map(),
      policy: { kind: 'unknown', reason: 'not read: no failures', transient: false },
      history: [],
      roles: new Map(),
      coverage: () => undefined,
    };
  }
  deps.progress?.(`looking up ${failuresByUser.size} users, their roles and the admin SSPR policy`);
  const users = await deps.directory.users([...failuresByUser.keys()]);
  const policy = await deps.directory.adminSsprPolicy();
  const oldestFailure = Math.min(
    ...[...failuresByUser.values()].flat().map((failure) => Date.parse(failure.at)),
  );
  const changes = await readRoleChanges(deps, oldestFailure, now);
  const { covers, gap } = await deps.directory.roleCoverage(
    changes.kind === 'read' ? changes.changes.map((change) => change.templateId) : [],
  );
  if (gap) deps.progress?.(gap);
  const roles = new Map(
    [...users.values()].map((user): [string, RolesOverTime] => [user.id, rolesOverTime(user, changes)]),
  );
  const adminFailures = [...failuresByUser].flatMap(([userId, failures]) =>
    failures.filter((failure) =>
      heldAdminRoleAt(failure, users.get(userId), { overTime: roles.get(userId), coverage: covers }),
    ),
  );
  const facts = { users, policy, history: [], roles, coverage: covers };
  if (adminFailures.length === 0 || policy.kind === 'unknown') return facts;
  return { ...facts, ...(await readSwitchHistory(deps, policy, adminFailures, now)) };
}

type ChangesRead = RolesOverTime['changes'];

/** One read for the whole scan, never one per user; unreadable, verdicts rest on today's roles and say so. */
async function readRoleChanges(
  deps: FactsDependencies,
  oldestFailure: number,
  now: Date,
): Promise<ChangesRead> {
  try {
    const events: AuditEvent[] = [];
    for await (const page of deps.auditLog.roleChanges({ from: new Date(oldestFailure - 1000), to: now }))
      events.push(...page);
    return { kind: 'read', changes: roleChanges(events) };
  } catch (err) {
    return { kind: 'unread', reason: `the role history could not be read (${toAppError(err).message})` };
  }
}

function rolesOverTime(user: UserFacts, changes: ChangesRead): RolesOverTime {
  const id = user.id.toLowerCase();
  return {
    changes:
      changes.kind === 'read'
        ? { kind: 'read', changes: changes.changes.filter((change) => change.userId === id) }
        : changes,
    pim: (user.kind === 'found' && user.pim) || { kind: 'unread', reason: 'PIM was not asked' },
  };
}

function heldAdminRoleAt(failure: SsprFailure, user: UserFacts | undefined, evidence: RoleEvidence): boolean {
  if (user?.kind !== 'found' || user.roles.kind !== 'known') return false;
  return rolesAt(failure.at, user.roles.adminRoles, evidence.overTime, evidence.coverage!).length > 0;
}

async function readSwitchHistory(
  deps: FactsDependencies,
  policy: Exclude<PolicyFacts, { kind: 'unknown' }>,
  adminFailures: SsprFailure[],
  now: Date,
): Promise<{ policy: PolicyFacts; history: PolicySwitch[] }> {
  const oldest = Math.min(
    ...adminFailures.map((failure) => Date.parse(failure.at)),
    now.getTime() - PROPAGATION_MS,
  );
  try {
    const changes: AuditEvent[] = [];
    for await (const page of deps.auditLog.authorizationPolicyChanges({
      from: new Date(oldest - 1000),
      to: now,
    }))
      changes.push(...page);
    const history = adminSsprSwitches(changes);
    return {
      policy: policy.kind === 'on' ? { kind: 'on', enabledAt: lastSwitchedOn(history) } : policy,
      history,
    };
  } catch (err) {
    const error = toAppError(err);
    const reason = `the history of the admin SSPR switch could not be read (${error.message})`;
    return { policy: { kind: 'unknown', reason, transient: error.transient }, history: [] };
  }
}
