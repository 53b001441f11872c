import { buildAuditRecord, type AuditApp, type Initiator, type TargetResource } from './auditRecord';
import type { Directory } from './directory';
import { resolveTime } from './relativeTime';
import type { ValidScenario } from './scenarioSchema';
import { stableId } from './stableIds';
import type { TimelineEntry } from './timelineEntry';

/** PIM acts in Core Directory as this first-party app (DESIGN.md §2b: `initiatedBy.app.displayName` MS-PIM). */
const MS_PIM: AuditApp = {
  appId: '01fc33a7-78ba-4d2f-a4b7-768e336e890e',
  displayName: 'MS-PIM',
  servicePrincipalId: 'c5b5b8b0-7e5f-4f4b-9a2c-2f1d6f0e3a11',
  servicePrincipalName: null,
};

/**
 * Role-management audit records in Graph's wire format (audit activity reference, category
 * RoleManagement): Core Directory's "Add member to role" / "Remove member from role" carry the role in
 * the user target's modifiedProperties as JSON-quoted strings (newValue on add, oldValue on remove) and
 * name the role *object* (not its template) as a second target; PIM's own records list the role (by its
 * definition id) first and the user later. A PIM activation writes a request, then both records of the
 * grant seconds apart; its expiry writes both records of the removal.
 */
export function roleChangeEntries(scenario: ValidScenario, directory: Directory, now: Date): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  scenario.roleChanges.forEach((change, index) => {
    const key = stableId(scenario.tenantId, scenario.name, 'role-change', index);
    const activity = change.change === 'added' ? 'Add member to role' : 'Remove member from role';
    // Someone with the right to assign roles made the change; the first other user stands in for them.
    const actor = scenario.users.find((user) => user.id !== change.user)?.id;
    const initiator: Initiator = actor ? { kind: 'user', id: actor } : { kind: 'none' };
    entries.push(
      coreDirectory(scenario, directory, key, resolveTime(change.at, now), activity, change, initiator),
    );
  });
  for (const user of scenario.users) {
    user.activations.forEach((activation, index) => {
      const key = stableId(scenario.tenantId, scenario.name, 'activation', user.id, index);
      const from = resolveTime(activation.from, now);
      const to = resolveTime(activation.to, now);
      const change = { user: user.id, role: activation.role };
      const self: Initiator = { kind: 'user', id: user.id };
      const pim: Initiator = { kind: 'app', app: MS_PIM };
      entries.push(
        pimRecord(
          scenario,
          directory,
          `${key}-request`,
          from - 4000,
          'Add member to role requested (PIM activation)',
          change,
          self,
        ),
        pimRecord(
          scenario,
          directory,
          `${key}-pim-add`,
          from,
          'Add member to role completed (PIM activation)',
          change,
          self,
        ),
        coreDirectory(scenario, directory, `${key}-add`, from + 2000, 'Add member to role', change, pim),
      );
      if (to <= now.getTime()) {
        entries.push(
          pimRecord(
            scenario,
            directory,
            `${key}-pim-expired`,
            to,
            'Remove member from role (PIM activation expired)',
            change,
            pim,
          ),
          coreDirectory(
            scenario,
            directory,
            `${key}-remove`,
            to + 2000,
            'Remove member from role',
            change,
            pim,
          ),
        );
      }
    });
  }
  return entries;
}

interface Change {
  user: string;
  role: string;
}

function coreDirectory(
  _scenario: ValidScenario,
  directory: Directory,
  id: string,
  timeMs: number,
  activity: string,
  change: Change,
  initiator: Initiator,
): TimelineEntry {
  id = stableId(id);
  const service = 'Core Directory';
  const role = directory.directoryRole(change.role);
  const added = activity.startsWith('Add');
  const property = (displayName: string, value: string) => ({
    displayName,
    oldValue: added ? null : `"${value}"`,
    newValue: added ? `"${value}"` : null,
  });
  return entry(id, timeMs, service, activity, () => {
    const record = roleChangeRecord(directory, id, timeMs, service, activity, change, initiator);
    const [user] = record.targetResources;
    user.modifiedProperties = [
      property('Role.ObjectID', role.id),
      property('Role.DisplayName', role.displayName),
      property('Role.TemplateId', role.roleTemplateId),
      property('Role.WellKnownObjectName', role.displayName.replace(/\s+/g, '')),
    ];
    const roleTarget: TargetResource = {
      id: role.id,
      displayName: role.displayName,
      type: 'Role',
      userPrincipalName: null,
      groupType: null,
      modifiedProperties: [],
    };
    return { ...record, targetResources: [user, roleTarget] };
  });
}

function pimRecord(
  scenario: ValidScenario,
  directory: Directory,
  id: string,
  timeMs: number,
  activity: string,
  change: Change,
  initiator: Initiator,
): TimelineEntry {
  id = stableId(id);
  const service = 'PIM';
  const role = directory.directoryRole(change.role);
  return entry(id, timeMs, service, activity, () => {
    const record = roleChangeRecord(directory, id, timeMs, service, activity, change, initiator);
    const [user] = record.targetResources;
    const target = (targetId: string, displayName: string | null, type: string): TargetResource => ({
      id: targetId,
      displayName,
      type,
      userPrincipalName: null,
      groupType: null,
      modifiedProperties: [],
    });
    return {
      ...record,
      targetResources: [
        target(role.roleTemplateId, role.displayName, 'Role'),
        target(stableId(scenario.tenantId, id, 'request'), null, 'Request'),
        target(stableId(scenario.tenantId, 'directory'), 'Directory', 'Directory'),
        user,
      ],
    };
  });
}

/** The record both services write for a role change: RoleManagement, success, the user as target. */
function roleChangeRecord(
  directory: Directory,
  id: string,
  timeMs: number,
  service: string,
  activity: string,
  change: Change,
  initiator: Initiator,
) {
  return buildAuditRecord(
    {
      id,
      timeMs,
      category: 'RoleManagement',
      activity,
      service,
      result: 'success',
      resultReason: '',
      initiator,
      targetUserId: change.user,
    },
    directory,
  );
}

function entry(
  id: string,
  timeMs: number,
  service: string,
  activity: string,
  render: TimelineEntry['render'],
): TimelineEntry {
  return { id, timeMs, service, activity, late: false, render };
}
