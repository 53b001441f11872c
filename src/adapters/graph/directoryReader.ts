import type { Client } from '@microsoft/microsoft-graph-client';
import type { AdminRole, PolicyFacts, UserFacts } from '../../core/model';
import {
  ADMIN_SSPR_ROLES,
  adminRole,
  resolveUnlistedIds,
  ROLES_WITHOUT_TEMPLATE_ID,
} from '../../core/adminRoles';
import type { ActiveAssignment, RoleCoverage, RolesOverTime } from '../../core/roleHistory';
import type { RegistrationFacts } from '../../core/policyOnCause';
import { runBatch, type BatchOptions, type BatchResponse } from './batch';
import { describeGraphFailure } from './graphErrors';
import {
  ASSIGNMENT_INSTANCE_FIELDS,
  DIRECTORY_ROLE_FIELDS,
  ELIGIBILITY_INSTANCE_FIELDS,
  ROLE_DEFINITION_FIELDS,
  USER_FIELDS,
} from './graphFields';
import { nextLinkGuard } from './nextLinkGuard';
import type { DirectoryReader } from '../../usecases/ports/graph';

/** Something we could not learn about a user's roles, and whether a later scan may learn it. */
interface Gap {
  text: string;
  transient: boolean;
}

const MAX_ROLE_PAGES = 10;
/**
 * An OData cast on transitiveMemberOf is an advanced query: Graph documents `ConsistencyLevel: eventual`
 * and `$count=true` as required ("List a user's memberships", request headers; "Advanced query
 * capabilities on directory objects"). In `$batch` the header goes in the item; on next pages it must be
 * sent again, since Graph does not carry it over.
 */
const ADVANCED_QUERY = { ConsistencyLevel: 'eventual' };

export class GraphDirectoryReader implements DirectoryReader {
  /** Listed roles without a known template id, found by name in the tenant's role definitions: read once. */
  private unlisted: Promise<Map<string, string>> | undefined;
  /** Why the role definitions could not be read, if they could not. */
  private definitionsGap: string | undefined;

  constructor(
    private readonly client: Client,
    private readonly graphOrigin: string,
    private readonly batch: BatchOptions,
  ) {}

  /** `allowedToUseSSPR` on the authorization policy. v1.0 answers one object; beta-style `value: [ … ]` is accepted too. */
  async adminSsprPolicy(): Promise<PolicyFacts> {
    let body: any;
    try {
      body = await this.client.api('/policies/authorizationPolicy').get();
    } catch (err) {
      const { status, text } = describeGraphFailure(err);
      const hint = status === 403 ? ' (grant Policy.Read.All)' : '';
      return {
        kind: 'unknown',
        reason: `reading the authorization policy failed: ${text}${hint}`,
        transient: isTransient(status),
      };
    }
    const policy = Array.isArray(body?.value) ? body.value[0] : body;
    const value = policy?.allowedToUseSSPR;
    if (value === true) return { kind: 'on' };
    if (value === false) return { kind: 'off' };
    return {
      kind: 'unknown',
      reason: 'the authorization policy has no allowedToUseSSPR value (common on new or unlicensed tenants)',
      transient: false,
    };
  }

  /**
   * Each user's sync state and admin roles (direct, and through role-assignable groups) and PIM's view
   * (active assignments with their start, eligible roles): 5 lookups a user, in $batch.
   */
  async users(ids: string[]): Promise<Map<string, UserFacts>> {
    const byPrincipal = (id: string) =>
      `$filter=${encodeURIComponent(`principalId eq '${id.replace(/'/g, "''")}'`)}`;
    const requests = ids.flatMap((id, i) => [
      { id: `u${i}`, url: `/users/${encodeURIComponent(id)}?$select=${USER_FIELDS}` },
      { id: `a${i}`, url: `/roleManagement/directory/roleAssignments?${byPrincipal(id)}` },
      {
        id: `t${i}`,
        url: `/users/${encodeURIComponent(id)}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=${DIRECTORY_ROLE_FIELDS}`,
        headers: ADVANCED_QUERY,
      },
      {
        id: `s${i}`,
        url: `/roleManagement/directory/roleAssignmentScheduleInstances?${byPrincipal(id)}&$select=${ASSIGNMENT_INSTANCE_FIELDS}`,
      },
      {
        id: `e${i}`,
        url: `/roleManagement/directory/roleEligibilityScheduleInstances?${byPrincipal(id)}&$select=${ELIGIBILITY_INSTANCE_FIELDS}`,
      },
    ]);
    const answers = await runBatch(this.client, requests, this.batch);
    await this.resolveUnlistedRoles(
      [...answers.values()].flatMap((answer) =>
        Array.isArray(answer.body?.value)
          ? answer.body.value.map((item: any) => item?.roleDefinitionId ?? item?.roleTemplateId)
          : [],
      ),
    );
    const facts = new Map<string, UserFacts>();
    for (const [i, id] of ids.entries()) {
      const user = await this.userFacts(
        id,
        answers.get(`u${i}`)!,
        answers.get(`a${i}`)!,
        answers.get(`t${i}`)!,
      );
      if (user.kind === 'found') user.pim = await this.pimState(answers.get(`s${i}`)!, answers.get(`e${i}`)!);
      facts.set(id, user);
    }
    return facts;
  }

  /**
   * `GET /reports/authenticationMethods/userRegistrationDetails/{id}` (AuditLog.Read.All, already held;
   * the report needs Microsoft Entra ID P1 or P2). The Get takes no OData query options.
   */
  async registrationDetails(ids: string[]): Promise<Map<string, RegistrationFacts>> {
    const answers = await runBatch(
      this.client,
      ids.map((id, i) => ({
        id: `r${i}`,
        url: `/reports/authenticationMethods/userRegistrationDetails/${encodeURIComponent(id)}`,
      })),
      this.batch,
    );
    const facts = new Map<string, RegistrationFacts>();
    for (const [i, id] of ids.entries()) {
      const answer = answers.get(`r${i}`)!;
      const body = answer.body;
      facts.set(
        id,
        answer.status === 200 && Array.isArray(body?.methodsRegistered)
          ? {
              kind: 'read',
              isSsprRegistered: typeof body.isSsprRegistered === 'boolean' ? body.isSsprRegistered : null,
              isSsprCapable: typeof body.isSsprCapable === 'boolean' ? body.isSsprCapable : null,
              methodsRegistered: body.methodsRegistered.filter(
                (method: unknown) => typeof method === 'string',
              ),
            }
          : {
              kind: 'unread',
              reason: failureText(answer, 'AuditLog.Read.All and Microsoft Entra ID P1 or P2'),
            },
      );
    }
    return facts;
  }

  /** Which roles the admin reset policy covers, the listed roles without a known id resolved for these ids. */
  async roleCoverage(templateIds: string[]): Promise<{ covers: RoleCoverage; gap?: string }> {
    const resolved = await this.resolveUnlistedRoles(templateIds);
    return { covers: (templateId) => adminRole(templateId, resolved), gap: this.definitionsGap };
  }

  /**
   * Reads `roleManagement/directory/roleDefinitions` once, and only when some id is not a listed role's:
   * a user holding one of the listed roles Microsoft's reference gives no id for must not read as "not an
   * admin". Unreadable, the listed ids still count and the others are not admin roles (said in progress).
   */
  private async resolveUnlistedRoles(
    templateIds: Array<string | null | undefined>,
  ): Promise<Map<string, string>> {
    const unknown = templateIds.some(
      (id) => typeof id === 'string' && !ADMIN_SSPR_ROLES.has(id.toLowerCase()),
    );
    if (!unknown || ROLES_WITHOUT_TEMPLATE_ID.length === 0) return this.unlisted ? this.unlisted : new Map();
    this.unlisted ??= this.readRoleDefinitions();
    return this.unlisted;
  }

  private async readRoleDefinitions(): Promise<Map<string, string>> {
    const gaps: Gap[] = [];
    let first: BatchResponse;
    try {
      const url = `/roleManagement/directory/roleDefinitions?$select=${ROLE_DEFINITION_FIELDS}`;
      first = { id: 'definitions', status: 200, body: await this.client.api(url).get() };
    } catch (err) {
      const { status, text } = describeGraphFailure(err);
      first = { id: 'definitions', status: status ?? 0, error: text };
    }
    const definitions = await this.allItems(first, gaps, 'RoleManagement.Read.Directory');
    if (gaps.length > 0) {
      this.definitionsGap = `the role definitions could not be read, so ${ROLES_WITHOUT_TEMPLATE_ID.join(', ')} do not count as admin roles: ${gaps.map((gap) => gap.text).join('; ')}`;
    }
    return resolveUnlistedIds(definitions);
  }

  /** PIM's view of the user now; a failed read leaves it unread, with why, and never blocks the verdict. */
  private async pimState(active: BatchResponse, eligible: BatchResponse): Promise<RolesOverTime['pim']> {
    const gaps: Gap[] = [];
    // RoleManagement.Read.Directory, held for the role assignments, covers both PIM reads (their pages
    // list it among the higher privileged permissions): nothing narrower needs granting.
    const activeItems = await this.allItems(active, gaps, 'RoleManagement.Read.Directory');
    const eligibleItems = await this.allItems(eligible, gaps, 'RoleManagement.Read.Directory');
    if (gaps.length > 0) return { kind: 'unread', reason: gaps.map((gap) => gap.text).join('; ') };
    const resolved = (await this.unlisted) ?? new Map<string, string>();
    return {
      kind: 'read',
      active: activeItems.flatMap((item): ActiveAssignment[] => {
        const role = adminRole(item?.roleDefinitionId, resolved);
        return role
          ? [
              {
                templateId: role.templateId,
                startDateTime: item.startDateTime ?? null,
                assignmentType: item.assignmentType ?? null,
              },
            ]
          : [];
      }),
      eligible: [
        ...new Map(
          eligibleItems
            .map((item) => adminRole(item?.roleDefinitionId, resolved))
            .filter((role): role is AdminRole => !!role)
            .map((role) => [role.templateId, role]),
        ).values(),
      ],
    };
  }

  private async userFacts(
    id: string,
    user: BatchResponse,
    direct: BatchResponse,
    transitive: BatchResponse,
  ): Promise<UserFacts> {
    if (user.status === 404) return { kind: 'not-found', id };
    if (user.status !== 200)
      return {
        kind: 'unknown',
        id,
        reason: failureText(user, 'User.Read.All'),
        transient: isTransient(user.status),
      };
    const roles = await this.adminRoles(direct, transitive);
    return {
      kind: 'found',
      id,
      userPrincipalName: user.body?.userPrincipalName ?? null,
      synced: syncedState(user.body),
      roles,
    };
  }

  /**
   * Any admin role found is enough to say "admin". To say "not an admin" both sources must have
   * answered in full: a failed or unreadable source leaves the roles unknown.
   */
  private async adminRoles(
    direct: BatchResponse,
    transitive: BatchResponse,
  ): Promise<Extract<UserFacts, { kind: 'found' }>['roles']> {
    const found = new Map<string, AdminRole>();
    const gaps: Gap[] = [];
    const resolved = (await this.unlisted) ?? new Map<string, string>();
    const directItems = await this.allItems(direct, gaps, 'RoleManagement.Read.Directory');
    for (const assignment of directItems) {
      const role = adminRole(assignment?.roleDefinitionId, resolved);
      if (role) found.set(role.templateId, role);
    }
    const transitiveItems = await this.allItems(
      transitive,
      gaps,
      'RoleManagement.Read.Directory',
      ADVANCED_QUERY,
    );
    for (const directoryRole of transitiveItems) {
      // With too narrow a permission Graph returns the object with only id and @odata.type.
      if (!directoryRole?.roleTemplateId) {
        gaps.push({
          text: 'a directory role held through group membership could not be read (grant RoleManagement.Read.Directory)',
          transient: false,
        });
        continue;
      }
      const role = adminRole(directoryRole.roleTemplateId, resolved);
      if (role) found.set(role.templateId, role);
    }
    if (found.size > 0) return { kind: 'known', adminRoles: [...found.values()] };
    if (gaps.length > 0) {
      return {
        kind: 'unknown',
        reason: gaps.map((gap) => gap.text).join('; '),
        transient: gaps.some((gap) => gap.transient),
      };
    }
    return { kind: 'known', adminRoles: [] };
  }

  private async allItems(
    answer: BatchResponse,
    gaps: Gap[],
    permission: string,
    headers: Record<string, string> = {},
  ): Promise<any[]> {
    if (answer.status !== 200) {
      gaps.push({ text: failureText(answer, permission), transient: isTransient(answer.status) });
      return [];
    }
    if (!Array.isArray(answer.body?.value)) {
      // An answer without its list is not an empty list: "not an admin" needs both sources in full.
      gaps.push({
        text: `Graph answered ${answer.status} without a readable list (${permission} data)`,
        transient: true,
      });
      return [];
    }
    const items: any[] = [...answer.body.value];
    const checkNextLink = nextLinkGuard(this.graphOrigin);
    let next: string | undefined = answer.body?.['@odata.nextLink'];
    for (let page = 0; next && page < MAX_ROLE_PAGES; page++) {
      try {
        checkNextLink(next);
        const body = await this.client.api(next).headers(headers).get();
        items.push(...(body?.value ?? []));
        next = body?.['@odata.nextLink'];
      } catch (err) {
        const { status, text } = describeGraphFailure(err);
        gaps.push({ text: `reading more role pages failed: ${text}`, transient: isTransient(status) });
        return items;
      }
    }
    if (next) gaps.push({ text: 'the user has more role entries than we read', transient: false });
    return items;
  }
}

/** Throttled, server-side or no answer at all: a later scan may well get through. */
function isTransient(status: number | undefined): boolean {
  // A 2xx here means the answer arrived but could not be read (malformed body).
  return (
    status === undefined || status === 0 || status === 429 || status >= 500 || (status >= 200 && status < 300)
  );
}

function syncedState(user: any): boolean | null {
  if (user?.onPremisesSyncEnabled === true) return true;
  if (user?.onPremisesSyncEnabled === false || user?.onPremisesSyncEnabled === null) return false;
  return null;
}

function failureText(answer: BatchResponse, permission: string): string {
  if (answer.error) return answer.error;
  const code = answer.body?.error?.code ? ` ${answer.body.error.code}` : '';
  const hint = answer.status === 403 ? ` (grant ${permission})` : '';
  return `Graph answered ${answer.status}${code}${hint}`;
}
