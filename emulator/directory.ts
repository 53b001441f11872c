import type { ValidScenario } from './scenarioSchema';
import { resolveTime } from './relativeTime';
import { roleDisplayName } from './roleCatalog';
import { stableId } from './stableIds';

export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  onPremisesSyncEnabled: boolean | null;
  roles: string[];
  groups: string[];
  activations?: { role: string; from: string; to: string }[];
  eligible?: string[];
  registration?: { methodsRegistered: string[]; isSsprRegistered?: boolean; isSsprCapable?: boolean };
}

/** A role assignment in force now, as PIM's roleAssignmentScheduleInstances shows it. */
export interface ActiveRole {
  templateId: string;
  assignmentType: 'Assigned' | 'Activated';
  startMs: number | null;
  endMs: number | null;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  roles: string[];
}

export interface DirectoryRole {
  id: string;
  displayName: string;
  description: string;
  roleTemplateId: string;
}

export const ANONYMOUS_USER_ID = '00000000-0000-0000-0000-000000000000';
const NOISE_USER_COUNT = 97;

/** Users, groups and roles of one scenario tenant, plus the synthetic users that appear in noise events. */
export class Directory {
  readonly domain: string;
  private readonly users = new Map<string, DirectoryUser>();
  private readonly usersByUpn = new Map<string, DirectoryUser>();
  private readonly groups = new Map<string, DirectoryGroup>();
  private readonly noiseUsers: DirectoryUser[] = [];

  constructor(
    private readonly scenario: ValidScenario,
    /** The emulator clock: PIM activations start and expire by it. */
    private readonly clockMs: () => number = () => Date.now(),
    private readonly scenarioNow: Date = new Date(),
  ) {
    this.domain = scenario.users[0]?.userPrincipalName.split('@')[1] ?? 'contoso.onmicrosoft.com';
    for (const group of scenario.groups) this.groups.set(group.id.toLowerCase(), group);
    for (const user of scenario.users) this.addUser(user);
    if (scenario.noise && scenario.noise.count > 0) {
      for (let n = 0; n < NOISE_USER_COUNT; n++) {
        const user: DirectoryUser = {
          id: stableId(scenario.tenantId, 'noise-user', n),
          userPrincipalName: `user${String(n + 1).padStart(3, '0')}@${this.domain}`,
          displayName: `Staff Member ${n + 1}`,
          onPremisesSyncEnabled: n % 2 === 0 ? true : null,
          roles: [],
          groups: [],
        };
        this.noiseUsers.push(user);
        this.addUser(user);
      }
    }
  }

  /** Accepts an object id or a user principal name, like Graph's /users/{id | userPrincipalName}. */
  findUser(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.toLowerCase();
    return this.users.get(key) ?? this.usersByUpn.get(key);
  }

  noiseUser(index: number): DirectoryUser {
    return this.noiseUsers[index % this.noiseUsers.length];
  }

  /** Audit records keep the UPN of users deleted since, so unknown ids still get a plausible one. */
  upnForAudit(userId: string): { displayName: string | null; userPrincipalName: string } {
    const user = this.findUser(userId);
    if (user) return { displayName: user.displayName, userPrincipalName: user.userPrincipalName };
    return { displayName: null, userPrincipalName: `former.user.${userId.slice(0, 8)}@${this.domain}` };
  }

  /** Direct assignments in force now: permanent ones and PIM activations not yet expired. */
  directRoleTemplateIds(principalId: string): string[] {
    const key = principalId.toLowerCase();
    const user = this.users.get(key);
    if (!user) return this.groups.get(key)?.roles ?? [];
    return [...new Set(this.activeRoles(user).map((role) => role.templateId))];
  }

  /**
   * The user's direct assignments in force now. A permanent role added by a scenario role change
   * started then; one with no recorded start has been held for 90 days.
   */
  activeRoles(user: DirectoryUser): ActiveRole[] {
    const now = this.clockMs();
    const added = (role: string) =>
      this.scenario.roleChanges
        .filter(
          (change) =>
            change.user.toLowerCase() === user.id.toLowerCase() &&
            change.role.toLowerCase() === role.toLowerCase() &&
            change.change === 'added',
        )
        .map((change) => resolveTime(change.at, this.scenarioNow))
        .sort((a, b) => b - a)[0];
    const permanent: ActiveRole[] = user.roles.map((role) => ({
      templateId: role.toLowerCase(),
      assignmentType: 'Assigned',
      startMs: added(role) ?? this.scenarioNow.getTime() - 90 * 86_400_000,
      endMs: null,
    }));
    const activated: ActiveRole[] = (user.activations ?? [])
      .map((activation) => ({
        templateId: activation.role.toLowerCase(),
        assignmentType: 'Activated' as const,
        startMs: resolveTime(activation.from, this.scenarioNow),
        endMs: resolveTime(activation.to, this.scenarioNow),
      }))
      .filter((activation) => activation.startMs <= now && now < activation.endMs);
    return [...permanent, ...activated];
  }

  eligibleRoles(user: DirectoryUser): string[] {
    return (user.eligible ?? []).map((role) => role.toLowerCase());
  }

  groupsOf(user: DirectoryUser): DirectoryGroup[] {
    return user.groups.map((id) => this.groups.get(id.toLowerCase())).filter((g): g is DirectoryGroup => !!g);
  }

  /** Roles held directly and through role-assignable groups, each once. */
  transitiveRoles(user: DirectoryUser): DirectoryRole[] {
    const templateIds = new Set(this.activeRoles(user).map((role) => role.templateId));
    for (const group of this.groupsOf(user)) for (const id of group.roles) templateIds.add(id.toLowerCase());
    return [...templateIds].map((templateId) => this.directoryRole(templateId));
  }

  directoryRole(templateId: string): DirectoryRole {
    const displayName = roleDisplayName(templateId);
    return {
      // An activated directoryRole has a tenant-specific object id distinct from its template id.
      id: stableId(this.scenario.tenantId, 'directory-role', templateId.toLowerCase()),
      displayName,
      description: `Members of this role have the permissions of the ${displayName} role.`,
      roleTemplateId: templateId,
    };
  }

  private addUser(user: DirectoryUser): void {
    this.users.set(user.id.toLowerCase(), user);
    this.usersByUpn.set(user.userPrincipalName.toLowerCase(), user);
  }
}
