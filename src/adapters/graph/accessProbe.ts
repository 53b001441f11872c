import type { Client } from '@microsoft/microsoft-graph-client';
import type { ReadCheck, TenantAccessProbe, TokenCheck } from '../../usecases/ports/graph';
import {
  ASSIGNMENT_INSTANCE_FIELDS,
  ELIGIBILITY_INSTANCE_FIELDS,
  ROLE_DEFINITION_FIELDS,
  USER_FIELDS,
} from './graphFields';
import { describeGraphFailure, graphCallFailed } from './graphErrors';

/**
 * An id no directory holds: the per-user reads are sent as a scan sends them, for this id. Graph
 * checks the permission before it looks the id up, so 403 means "not granted", and 404 or an empty
 * list means the read is allowed.
 */
const NO_ONE = '00000000-0000-0000-0000-000000000000';
const BY_PRINCIPAL = `principalId eq '${NO_ONE}'`;

interface ScanRead {
  read: string;
  path: string;
  query: Record<string, string>;
  permission: string;
  /** A read of one id (NO_ONE): 404 is the allowed answer. */
  byId?: boolean;
}

/** Every read of a scan (src/adapters/graph/*Reader.ts) and the permission it needs (infra/graph-permissions.json). */
export const SCAN_READS: readonly ScanRead[] = [
  {
    read: 'audit log',
    path: '/auditLogs/directoryAudits',
    query: { $top: '1' },
    permission: 'AuditLog.Read.All',
  },
  {
    read: 'authorization policy',
    path: '/policies/authorizationPolicy',
    query: {},
    permission: 'Policy.Read.All',
  },
  {
    read: 'users',
    path: `/users/${NO_ONE}`,
    query: { $select: USER_FIELDS },
    permission: 'User.Read.All',
    byId: true,
  },
  {
    read: 'role assignments',
    path: '/roleManagement/directory/roleAssignments',
    query: { $filter: BY_PRINCIPAL },
    permission: 'RoleManagement.Read.Directory',
  },
  {
    read: 'role definitions',
    path: '/roleManagement/directory/roleDefinitions',
    query: { $select: ROLE_DEFINITION_FIELDS },
    permission: 'RoleManagement.Read.Directory',
  },
  {
    read: 'PIM active assignments',
    path: '/roleManagement/directory/roleAssignmentScheduleInstances',
    query: { $filter: BY_PRINCIPAL, $select: ASSIGNMENT_INSTANCE_FIELDS },
    permission: 'RoleManagement.Read.Directory',
  },
  {
    read: 'PIM eligible roles',
    path: '/roleManagement/directory/roleEligibilityScheduleInstances',
    query: { $filter: BY_PRINCIPAL, $select: ELIGIBILITY_INSTANCE_FIELDS },
    permission: 'RoleManagement.Read.Directory',
  },
  {
    read: 'SSPR registration',
    path: `/reports/authenticationMethods/userRegistrationDetails/${NO_ONE}`,
    query: {},
    permission: 'AuditLog.Read.All',
    byId: true,
  },
];

/** `tenants check`: the scan's reads, through the scan's Graph client (same token, pacing and budget). */
export class GraphAccessProbe implements TenantAccessProbe {
  constructor(private readonly client: Client) {}

  async tryReads(): Promise<{ token: TokenCheck; reads: ReadCheck[] }> {
    const reads: ReadCheck[] = [];
    for (const read of SCAN_READS) {
      const query = Object.entries(read.query).map(([name, value]) => `${name}=${value}`);
      const described = {
        read: read.read,
        request: `GET ${read.path}${query.length > 0 ? `?${query.join('&')}` : ''}`,
        permission: read.permission,
      };
      try {
        await this.client.api(read.path).query(read.query).get();
        reads.push({ ...described, outcome: 'ok' });
      } catch (err) {
        const error = graphCallFailed(err, `Reading the ${read.read}`, read.permission);
        // Our pipeline's AUTH.* codes: there is no token, so no read can work.
        if (error.code.startsWith('AUTH.'))
          return { token: { ok: false, code: error.code, message: error.message }, reads: [] };
        const { status } = describeGraphFailure(err);
        if (status === 404 && read.byId) {
          reads.push({ ...described, outcome: 'ok' });
          continue;
        }
        const outcome = status === 403 ? 'missing-permission' : 'error';
        reads.push({ ...described, outcome, code: error.code, message: error.message });
      }
    }
    return { token: { ok: true }, reads };
  }
}
