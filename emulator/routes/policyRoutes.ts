import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendGraph, sendGraphError } from '../graphReply';
import { policyChangeEntry } from '../scenarioEvents';
import { stableId } from '../stableIds';
import type { TenantState } from '../tenantState';
import type { Tenants } from '../tenants';

const WRITABLE = new Set(['allowedToUseSSPR']);

export function registerPolicyRoutes(app: FastifyInstance, tenants: Tenants): void {
  app.get('/v1.0/policies/authorizationPolicy', async (request, reply) => {
    const tenant = tenants.of(request);
    if (refuse(tenant, request, reply)) return reply;
    return sendGraph(reply, 200, {
      '@odata.context': `${tenant.graphUrl}/v1.0/$metadata#policies/authorizationPolicy/$entity`,
      ...policyObject(tenant),
    });
  });

  // beta models the policy as a collection, so clients reading beta must take value[0].
  app.get('/beta/policies/authorizationPolicy', async (request, reply) => {
    const tenant = tenants.of(request);
    if (refuse(tenant, request, reply)) return reply;
    return sendGraph(reply, 200, {
      '@odata.context': `${tenant.graphUrl}/beta/$metadata#policies/authorizationPolicy`,
      value: [policyObject(tenant)],
    });
  });

  app.patch('/v1.0/policies/authorizationPolicy', async (request, reply) => {
    const tenant = tenants.of(request);
    if (refuse(tenant, request, reply)) return reply;
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendGraphError(request, reply, 400, 'BadRequest', 'Empty Payload. JSON content expected.');
    }
    for (const [key, value] of Object.entries(body)) {
      if (!WRITABLE.has(key)) {
        return sendGraphError(request, reply, 400, 'BadRequest', `Invalid property '${key}'.`);
      }
      if (typeof value !== 'boolean') {
        return sendGraphError(
          request,
          reply,
          400,
          'BadRequest',
          `Cannot convert the literal '${String(value)}' to the expected type 'Edm.Boolean'.`,
        );
      }
    }
    const wanted = (body as { allowedToUseSSPR?: boolean }).allowedToUseSSPR;
    if (wanted !== undefined) {
      tenant.policy = wanted;
      // Graph audits its own writes; verification and "who changed it" read this record back.
      const timeMs = tenant.clockMs();
      tenant.timeline.add(
        policyChangeEntry(
          tenant.scenario.tenantId,
          stableId(tenant.scenario.tenantId, 'patch', timeMs, tenant.requests.length),
          timeMs,
          wanted,
          {
            kind: 'app',
            app: {
              appId: tenant.managedIdentityClientId,
              displayName: 'sspr-remediator',
              servicePrincipalId: stableId(tenant.scenario.tenantId, 'service-principal'),
              servicePrincipalName: null,
            },
          },
          tenant.directory,
        ),
      );
    }
    return sendGraph(reply, 204);
  });
}

function refuse(tenant: TenantState, request: FastifyRequest, reply: FastifyReply): boolean {
  if (tenant.policy === 'forbidden') {
    sendGraphError(
      request,
      reply,
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
    return true;
  }
  if (tenant.policy === 'error') {
    sendGraphError(request, reply, 500, 'generalException', 'General exception while processing.');
    return true;
  }
  return false;
}

function policyObject(tenant: TenantState): Record<string, unknown> {
  const policy: Record<string, unknown> = {
    id: 'authorizationPolicy',
    allowInvitesFrom: 'everyone',
    allowedToSignUpEmailBasedSubscriptions: true,
    allowEmailVerifiedUsersToJoinOrganization: false,
    allowUserConsentForRiskyApps: null,
    blockMsolPowerShell: false,
    description: 'Used to manage authorization related settings across the company.',
    displayName: 'Authorization Policy',
    guestUserRoleId: '10dae51f-b6af-4016-8d66-8c2a99b929b3',
    permissionGrantPolicyIdsAssignedToDefaultUserRole: [
      'ManagePermissionGrantsForSelf.microsoft-user-default-legacy',
    ],
    defaultUserRolePermissions: {
      allowedToCreateApps: true,
      allowedToCreateSecurityGroups: true,
      allowedToCreateTenants: true,
      allowedToReadBitlockerKeysForOwnedDevice: true,
      allowedToReadOtherUsers: true,
      permissionGrantPoliciesAssigned: ['ManagePermissionGrantsForSelf.microsoft-user-default-legacy'],
    },
  };
  if (typeof tenant.policy === 'boolean') policy.allowedToUseSSPR = tenant.policy;
  return policy;
}
