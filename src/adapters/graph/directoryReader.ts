import type { Client } from '@microsoft/microsoft-graph-client';
import type { AdminRole, PolicyFacts, UserFacts } from '../../core/model';
import { adminRole } from '../../core/adminRoles';
import { runBatch, type BatchOptions, type BatchResponse } from './batch';
import { describeGraphFailure } from './graphErrors';
import { DIRECTORY_ROLE_FIELDS, USER_FIELDS } from './graphFields';
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

  /** Each user's sync state and admin roles (direct, and through role-assignable groups), 3 lookups a user, in $batch. */
  async users(ids: string[]): Promise<Map<string, UserFacts>> {
    const requests = ids.flatMap((id, i) => [
      { id: `u${i}`, url: `/users/${encodeURIComponent(id)}?$select=${USER_FIELDS}` },
      {
        id: `a${i}`,
        url: `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${id.replace(/'/g, "''")}'`)}`,
      },
      {
        id: `t${i}`,
        url: `/users/${encodeURIComponent(id)}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=${DIRECTORY_ROLE_FIELDS}`,
        headers: ADVANCED_QUERY,
      },
    ]);
    const answers = await runBatch(this.client, requests, this.batch);
    const facts = new Map<string, UserFacts>();
    for (const [i, id] of ids.entries()) {
      facts.set(
        id,
        await this.userFacts(id, answers.get(`u${i}`)!, answers.get(`a${i}`)!, answers.get(`t${i}`)!),
      );
    }
    return facts;
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
    const directItems = await this.allItems(direct, gaps, 'RoleManagement.Read.Directory');
    for (const assignment of directItems) {
      const role = adminRole(assignment?.roleDefinitionId);
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
      const role = adminRole(directoryRole.roleTemplateId);
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
