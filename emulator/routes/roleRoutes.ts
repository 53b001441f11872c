import type { FastifyInstance } from 'fastify';
import { queryOption, sendGraph, sendGraphError } from '../graphReply';
import { pickProperties, selectedProperties } from '../selectProperties';
import { stableId } from '../stableIds';
import type { TenantState } from '../tenantState';
import { findUserOr404 } from './userRoutes';

const PRINCIPAL_FILTER = /^\s*principalId\s+eq\s+'([^']+)'\s*$/i;

export function registerRoleRoutes(app: FastifyInstance, tenant: TenantState, version: string): void {
  const base = () => `${tenant.graphUrl}/${version}`;

  // Only direct assignments: a role held through a group is assigned to the group's id.
  app.get(`/${version}/roleManagement/directory/roleAssignments`, async (request, reply) => {
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

  app.get<{ Params: { id: string } }>(
    `/${version}/users/:id/transitiveMemberOf/microsoft.graph.directoryRole`,
    async (request, reply) => {
      const user = findUserOr404(tenant, request, reply);
      if (!user) return reply;
      const select = selectedProperties(request);
      const value = tenant.directory.transitiveRoles(user).map((role) => {
        const record = { '@odata.type': '#microsoft.graph.directoryRole', ...role, deletedDateTime: null };
        return select ? pickProperties(record, select) : record;
      });
      const context = `${base()}/$metadata#directoryRoles${select ? `(${select.join(',')})` : ''}`;
      return sendGraph(reply, 200, { '@odata.context': context, value });
    },
  );

  app.get<{ Params: { id: string } }>(`/${version}/users/:id/transitiveMemberOf`, async (request, reply) => {
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
      ...role,
      deletedDateTime: null,
    }));
    return sendGraph(reply, 200, {
      '@odata.context': `${base()}/$metadata#directoryObjects`,
      value: [...groups, ...roles],
    });
  });
}
