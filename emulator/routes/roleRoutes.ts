import type {
  DirectoryRole as GraphDirectoryRole,
  UnifiedRoleAssignmentScheduleInstance,
  UnifiedRoleDefinition,
  UnifiedRoleEligibilityScheduleInstance,
} from '@microsoft/microsoft-graph-types';
import { graphDateTime } from '../auditRecord';
import { builtInRoles } from '../roleCatalog';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DirectoryRole } from '../directory';
import { queryOption, sendGraph, sendGraphError } from '../graphReply';
import { pickProperties, refuseUnknownSelect, selectedProperties } from '../selectProperties';
import { stableId } from '../stableIds';
import type { Tenants } from '../tenants';
import type { TenantState } from '../tenantState';
import { findUserOr404 } from './userRoutes';

const PRINCIPAL_FILTER = /^\s*principalId\s+eq\s+'([^']+)'\s*$/i;
/** Any role template: only its record's property names are needed, to judge a $select. */
const ANY_ROLE = '62e90394-69f5-4237-9190-012177145e10';

export function registerRoleRoutes(app: FastifyInstance, tenants: Tenants, version: string): void {
  const base = () => `${tenants.home.graphUrl}/${version}`;

  // Only direct assignments: a role held through a group is assigned to the group's id.
  app.get(`/${version}/roleManagement/directory/roleAssignments`, async (request, reply) => {
    const tenant = tenants.of(request);
    const filter = queryOption(request, '$filter');
    const match = filter === undefined ? null : PRINCIPAL_FILTER.exec(filter);
    if (!match) {
      return sendGraphError(
        request,
        reply,
        400,
        'BadRequest',
        filter === undefined
          ? 'A filter on principalId is required by the emulator.'
          : `Invalid filter clause: '${filter}' is not supported.`,
      );
    }
    const principalId = match[1];
    const value = tenant.directory.directRoleTemplateIds(principalId).map((templateId) => ({
      id: stableId(
        tenant.scenario.tenantId,
        'role-assignment',
        principalId.toLowerCase(),
        templateId.toLowerCase(),
      ),
      principalId,
      directoryScopeId: '/',
      roleDefinitionId: templateId,
    }));
    return sendGraph(reply, 200, {
      '@odata.context': `${base()}/$metadata#roleManagement/directory/roleAssignments`,
      value,
    });
  });

  // PIM's instances: what is in force now (assignments, with their start) and what is only eligible.
  app.get(`/${version}/roleManagement/directory/roleAssignmentScheduleInstances`, async (request, reply) => {
    const tenant = tenants.of(request);
    const principalId = principalFilter(request, reply);
    if (principalId === undefined) return reply;
    const user = tenant.directory.findUser(principalId);
    const records = (user ? tenant.directory.activeRoles(user) : []).map((role) =>
      assignmentInstance(tenant, principalId, role),
    );
    return sendCollection(request, reply, records, assignmentInstance(tenant, principalId, SAMPLE_ROLE), {
      type: 'microsoft.graph.unifiedRoleAssignmentScheduleInstance',
      context: `${base()}/$metadata#roleManagement/directory/roleAssignmentScheduleInstances`,
    });
  });

  app.get(`/${version}/roleManagement/directory/roleEligibilityScheduleInstances`, async (request, reply) => {
    const tenant = tenants.of(request);
    const principalId = principalFilter(request, reply);
    if (principalId === undefined) return reply;
    const user = tenant.directory.findUser(principalId);
    const records = (user ? tenant.directory.eligibleRoles(user) : []).map((templateId) =>
      eligibilityInstance(tenant, principalId, templateId),
    );
    return sendCollection(request, reply, records, eligibilityInstance(tenant, principalId, ANY_ROLE), {
      type: 'microsoft.graph.unifiedRoleEligibilityScheduleInstance',
      context: `${base()}/$metadata#roleManagement/directory/roleEligibilityScheduleInstances`,
    });
  });

  // Built-in roles only (the emulated tenant has no custom roles); no $filter is served: stricter, never laxer.
  app.get(`/${version}/roleManagement/directory/roleDefinitions`, async (request, reply) => {
    if (queryOption(request, '$filter') !== undefined) {
      return sendGraphError(
        request,
        reply,
        400,
        'BadRequest',
        'The emulator serves roleDefinitions without $filter.',
      );
    }
    const records = [...builtInRoles().values()].map(roleDefinition);
    return sendCollection(
      request,
      reply,
      records,
      roleDefinition({ templateId: ANY_ROLE, displayName: 'x' }),
      {
        type: 'microsoft.graph.unifiedRoleDefinition',
        context: `${base()}/$metadata#roleManagement/directory/roleDefinitions`,
      },
    );
  });

  app.get<{ Params: { id: string } }>(
    `/${version}/users/:id/transitiveMemberOf/microsoft.graph.directoryRole`,
    async (request, reply) => {
      const tenant = tenants.of(request);
      if (refuseWithoutAdvancedQuery(request, reply)) return reply;
      const user = findUserOr404(tenant, request, reply);
      if (!user) return reply;
      const records = tenant.directory.transitiveRoles(user).map(directoryRoleRecord);
      if (
        refuseUnknownSelect(
          request,
          reply,
          directoryRoleRecord(tenant.directory.directoryRole(ANY_ROLE)),
          'microsoft.graph.directoryRole',
        )
      ) {
        return reply;
      }
      const select = selectedProperties(request);
      const value = records.map((record) => ({
        '@odata.type': '#microsoft.graph.directoryRole',
        ...(select ? pickProperties(record, select) : record),
      }));
      const context = `${base()}/$metadata#directoryRoles${select ? `(${select.join(',')})` : ''}`;
      // With the advanced query parameters Graph counts the collection on the first page.
      return sendGraph(reply, 200, { '@odata.context': context, '@odata.count': value.length, value });
    },
  );

  app.get<{ Params: { id: string } }>(`/${version}/users/:id/transitiveMemberOf`, async (request, reply) => {
    const tenant = tenants.of(request);
    const user = findUserOr404(tenant, request, reply);
    if (!user) return reply;
    const groups = tenant.directory.groupsOf(user).map((group) => ({
      '@odata.type': '#microsoft.graph.group',
      id: group.id,
      deletedDateTime: null,
      displayName: group.displayName,
      groupTypes: [],
      isAssignableToRole: true,
      mailEnabled: false,
      securityEnabled: true,
    }));
    const roles = tenant.directory.transitiveRoles(user).map((role) => ({
      '@odata.type': '#microsoft.graph.directoryRole',
      ...directoryRoleRecord(role),
    }));
    return sendGraph(reply, 200, {
      '@odata.context': `${base()}/$metadata#directoryObjects`,
      value: [...groups, ...roles],
    });
  });
}

const SAMPLE_ROLE = { templateId: ANY_ROLE, assignmentType: 'Assigned' as const, startMs: 0, endMs: null };

/** `$filter=principalId eq '…'` is required (as the scanner sends it); the principal id, or undefined once answered. */
function principalFilter(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const filter = queryOption(request, '$filter');
  const match = filter === undefined ? null : PRINCIPAL_FILTER.exec(filter);
  if (match) return match[1];
  sendGraphError(
    request,
    reply,
    400,
    'BadRequest',
    filter === undefined
      ? 'A filter on principalId is required by the emulator.'
      : `Invalid filter clause: '${filter}' is not supported.`,
  );
  return undefined;
}

/** A collection honouring $select, refusing names the served type does not have. */
function sendCollection(
  request: FastifyRequest,
  reply: FastifyReply,
  records: Record<string, unknown>[],
  sample: Record<string, unknown>,
  shape: { type: string; context: string },
) {
  if (refuseUnknownSelect(request, reply, sample, shape.type)) return reply;
  const select = selectedProperties(request);
  const value = records.map((record) => (select ? pickProperties(record, select) : record));
  return sendGraph(reply, 200, { '@odata.context': shape.context, value });
}

function assignmentInstance(
  tenant: TenantState,
  principalId: string,
  role: {
    templateId: string;
    assignmentType: 'Assigned' | 'Activated';
    startMs: number | null;
    endMs: number | null;
  },
): Record<string, unknown> {
  return {
    id: stableId(
      tenant.scenario.tenantId,
      'assignment-instance',
      principalId.toLowerCase(),
      role.templateId,
      role.assignmentType,
    ),
    principalId,
    roleDefinitionId: role.templateId,
    directoryScopeId: '/',
    appScopeId: null,
    startDateTime: role.startMs === null ? null : graphDateTime(role.startMs),
    endDateTime: role.endMs === null ? null : graphDateTime(role.endMs),
    assignmentType: role.assignmentType,
    memberType: 'Direct',
    roleAssignmentOriginId: stableId(
      tenant.scenario.tenantId,
      'role-assignment',
      principalId.toLowerCase(),
      role.templateId,
    ),
    roleAssignmentScheduleId: stableId(
      tenant.scenario.tenantId,
      'assignment-schedule',
      principalId.toLowerCase(),
      role.templateId,
    ),
  } satisfies { [K in keyof UnifiedRoleAssignmentScheduleInstance]?: unknown };
}

function eligibilityInstance(
  tenant: TenantState,
  principalId: string,
  templateId: string,
): Record<string, unknown> {
  return {
    id: stableId(tenant.scenario.tenantId, 'eligibility-instance', principalId.toLowerCase(), templateId),
    principalId,
    roleDefinitionId: templateId,
    directoryScopeId: '/',
    appScopeId: null,
    startDateTime: graphDateTime(tenant.now.getTime() - 30 * 86_400_000),
    endDateTime: null,
    memberType: 'Direct',
    roleEligibilityScheduleId: stableId(
      tenant.scenario.tenantId,
      'eligibility-schedule',
      principalId.toLowerCase(),
      templateId,
    ),
  } satisfies { [K in keyof UnifiedRoleEligibilityScheduleInstance]?: unknown };
}

/** For a built-in role the definition's id is its template id. */
function roleDefinition(role: { templateId: string; displayName: string }): Record<string, unknown> {
  return {
    id: role.templateId,
    templateId: role.templateId,
    displayName: role.displayName,
    description: `Members of this role have the permissions of the ${role.displayName} role.`,
    isBuiltIn: true,
    isEnabled: true,
    version: '1',
  } satisfies { [K in keyof UnifiedRoleDefinition]?: unknown };
}

/** Every name here must be a property of Graph's directoryRole type: the compiler checks it. */
function directoryRoleRecord(role: DirectoryRole): Record<string, unknown> {
  return { ...role, deletedDateTime: null } satisfies { [K in keyof GraphDirectoryRole]?: unknown };
}

/**
 * "List a user's memberships" documents `ConsistencyLevel: eventual` and `$count=true` as required with
 * an OData cast ("Advanced query capabilities on directory objects": OData cast with transitive members
 * list). Graph answers 400 Request_UnsupportedQuery to advanced queries sent without them; the exact
 * message for this cast is not documented, so this one follows the documented endsWith example.
 */
function refuseWithoutAdvancedQuery(request: FastifyRequest, reply: FastifyReply): boolean {
  const consistency = request.headers.consistencylevel;
  const eventual = typeof consistency === 'string' && consistency.trim().toLowerCase() === 'eventual';
  const counted = queryOption(request, '$count')?.toLowerCase() === 'true';
  if (eventual && counted) return false;
  sendGraphError(
    request,
    reply,
    400,
    'Request_UnsupportedQuery',
    'OData cast is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information',
  );
  return true;
}
