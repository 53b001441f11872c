import type { AdminRole, AuditEvent, PimView } from './model';

export type { ActiveAssignment } from './model';

/** One active role assignment made or ended for a user, as the audit log recorded it. */
export interface RoleChange {
  at: string;
  userId: string;
  templateId: string;
  displayName: string | null;
  change: 'added' | 'removed';
  activity: string;
}

/**
 * What a scan learned about a user's roles beyond the ones held now: the changes since their oldest
 * failure (read once per scan from the audit log), when today's active assignments started, and the
 * roles they are only eligible for. A part that could not be read says why instead.
 */
export interface RolesOverTime {
  changes: { kind: 'read'; changes: RoleChange[] } | { kind: 'unread'; reason: string };
  pim: PimView;
}

/** Looks a role template id up in the roles the admin reset policy covers; undefined when it does not. */
export type RoleCoverage = (templateId: string) => AdminRole | undefined;

/*
 * Activity names (Microsoft's audit activity reference, category RoleManagement): Core Directory writes
 * "Add member to role" / "Remove member from role" for every active assignment, PIM-made ones too; PIM
 * writes its own records ("… completed (PIM activation)", "… (PIM activation expired)", "… completed
 * (PIM deactivate)"). A "requested" record is a request, not a grant, and eligible assignments are not
 * active: neither changes what the user held.
 */
const ADDED = /^add member to role\b/i;
const REMOVED = /^remove member from role\b/i;
const NOT_IN_FORCE = /\b(requested|request|eligible|approval|canceled|cancelled|denied|failed)\b/i;

/** The active role changes in role-management audit events, oldest first; anything unreadable is skipped. */
export function roleChanges(events: AuditEvent[]): RoleChange[] {
  const changes: RoleChange[] = [];
  for (const event of events) {
    const activity = event.activityDisplayName ?? '';
    const change = ADDED.test(activity) ? 'added' : REMOVED.test(activity) ? 'removed' : undefined;
    if (!change || NOT_IN_FORCE.test(activity)) continue;
    if (event.result && event.result.toLowerCase() !== 'success') continue;
    const targets = event.targetResources ?? [];
    // PIM lists the role first and the user later: find the user by type, never by position.
    const user = targets.find((target) => target.type?.toLowerCase() === 'user' && target.id);
    const role = roleOf(targets);
    if (!user?.id || !role) continue;
    changes.push({
      at: event.activityDateTime,
      userId: user.id.toLowerCase(),
      templateId: role.templateId,
      displayName: role.displayName,
      change,
      activity,
    });
  }
  return changes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * Core Directory records carry `Role.TemplateId` and `Role.DisplayName` among the user target's
 * modifiedProperties (JSON-quoted, in newValue on add and oldValue on remove; `Role.ObjectID` is the
 * role object's id, not its template). PIM records name the role as a target of type Role whose id is
 * the role definition id, which for a built-in role is its template id.
 */
function roleOf(targets: NonNullable<AuditEvent['targetResources']>) {
  let templateId: string | undefined;
  let displayName: string | null = null;
  for (const target of targets) {
    for (const property of target.modifiedProperties ?? []) {
      const name = property.displayName?.toLowerCase();
      const value = unquote(property.newValue) || unquote(property.oldValue);
      if (name === 'role.templateid' && value) templateId = value.toLowerCase();
      if (name === 'role.displayname' && value) displayName = value;
    }
  }
  const roleTarget = targets.find((target) => target.type?.toLowerCase() === 'role' && target.id);
  templateId ??= roleTarget?.id?.toLowerCase();
  displayName ??= roleTarget?.displayName ?? null;
  return templateId ? { templateId, displayName } : undefined;
}

function unquote(text: string | null | undefined): string {
  return (text ?? '').replace(/^[\s"[\]]+|[\s"[\]]+$/g, '');
}

/**
 * The covered admin roles a user held at a moment. For each role, the first recorded change after
 * that moment decides (added later: not held then; removed later: held then); with no change since,
 * the role stands as it does now, unless its active assignment started after that moment (a PIM
 * activation with no audit record left). Roles held through a group are judged as they stand now.
 */
export function rolesAt(
  at: string,
  current: AdminRole[],
  roles: RolesOverTime | undefined,
  coverage: RoleCoverage,
): AdminRole[] {
  const time = Date.parse(at);
  const changes = roles?.changes.kind === 'read' ? roles.changes.changes : [];
  const active = roles?.pim.kind === 'read' ? roles.pim.active : [];
  const candidates = new Map<string, AdminRole>(current.map((role) => [role.templateId, role]));
  for (const change of changes) {
    const role = coverage(change.templateId);
    if (role && !candidates.has(role.templateId)) candidates.set(role.templateId, role);
  }
  const held: AdminRole[] = [];
  for (const role of candidates.values()) {
    const next = changes.find(
      (change) => change.templateId === role.templateId && Date.parse(change.at) > time,
    );
    if (next) {
      if (next.change === 'removed') held.push(role);
      continue;
    }
    if (!current.some((now) => now.templateId === role.templateId)) continue;
    const starts = active.filter((assignment) => assignment.templateId === role.templateId);
    const startedLater =
      starts.length > 0 &&
      starts.every((assignment) => assignment.startDateTime && Date.parse(assignment.startDateTime) > time);
    if (!startedLater) held.push(role);
  }
  return held;
}

/** The first change after a moment that made the user an admin (for a reason's wording). */
export function grantedAfter(at: string, roles: RolesOverTime | undefined, coverage: RoleCoverage) {
  const time = Date.parse(at);
  if (roles?.changes.kind === 'read') {
    const grant = roles.changes.changes.find(
      (change) => change.change === 'added' && Date.parse(change.at) > time && coverage(change.templateId),
    );
    if (grant) return grant.at;
  }
  const starts = roles?.pim.kind === 'read' ? roles.pim.active : [];
  return starts
    .filter((assignment) => assignment.startDateTime && Date.parse(assignment.startDateTime) > time)
    .map((assignment) => assignment.startDateTime!)
    .sort()[0];
}
