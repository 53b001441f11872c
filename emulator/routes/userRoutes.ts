import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DirectoryUser } from '../directory';
import { sendGraph, sendGraphError } from '../graphReply';
import type { User } from '@microsoft/microsoft-graph-types';
import { pickProperties, refuseUnknownSelect, selectedProperties } from '../selectProperties';
import { stableId } from '../stableIds';
import type { TenantState } from '../tenantState';
import type { Tenants } from '../tenants';

// Graph returns only these without $select; onPremises* must be asked for explicitly.
const DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

export function registerUserRoutes(app: FastifyInstance, tenants: Tenants, version: string): void {
  app.get<{ Params: { id: string } }>(`/${version}/users/:id`, async (request, reply) => {
    const tenant = tenants.of(request);
    const user = findUserOr404(tenant, request, reply);
    if (!user) return reply;
    const record = userRecord(tenant, user);
    if (refuseUnknownSelect(request, reply, record, 'microsoft.graph.user')) return reply;
    const select = selectedProperties(request);
    const body = {
      '@odata.context': `${tenant.graphUrl}/${version}/$metadata#users${select ? `(${select.join(',')})` : ''}/$entity`,
      ...pickProperties(record, select ?? DEFAULT_PROPERTIES),
    };
    return sendGraph(reply, 200, body);
  });
}

export function findUserOr404(
  tenant: TenantState,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
): DirectoryUser | undefined {
  const id = request.params.id;
  const user = tenant.directory.findUser(id);
  if (!user) {
    sendGraphError(
      request,
      reply,
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  return user;
}

/** Every name here must be a property of Graph's user type: the compiler checks it. */
function userRecord(tenant: TenantState, user: DirectoryUser): Record<string, unknown> {
  const synced = user.onPremisesSyncEnabled === true;
  const [givenName, ...rest] = user.displayName.split(' ');
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    givenName,
    surname: rest.join(' ') || null,
    mail: user.userPrincipalName,
    businessPhones: [],
    jobTitle: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    accountEnabled: true,
    userType: 'Member',
    onPremisesSyncEnabled: user.onPremisesSyncEnabled,
    // The immutable id is the base64 of the on-premises objectGUID, present only for synced users.
    onPremisesImmutableId: synced
      ? Buffer.from(stableId(user.id, 'objectGUID').replace(/-/g, ''), 'hex').toString('base64')
      : null,
    onPremisesSamAccountName: synced ? user.userPrincipalName.split('@')[0].slice(0, 20) : null,
    onPremisesLastSyncDateTime: synced
      ? new Date(tenant.now.getTime() - 30 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      : null,
  } satisfies { [K in keyof User]?: unknown };
}
