import type { UserRegistrationDetails } from '@microsoft/microsoft-graph-types';
import type { FastifyInstance } from 'fastify';
import { sendGraph, sendGraphError } from '../graphReply';
import type { Tenants } from '../tenants';
import { findUserOr404 } from './userRoutes';

/** What a user registered when the scenario does not say: enough for the admin reset policy. */
const DEFAULT_METHODS = ['email', 'mobilePhone'];

export function registerReportRoutes(app: FastifyInstance, tenants: Tenants, version: string): void {
  // "Get userRegistrationDetails": the Get takes no OData query options (the page says so).
  app.get<{ Params: { id: string } }>(
    `/${version}/reports/authenticationMethods/userRegistrationDetails/:id`,
    async (request, reply) => {
      const tenant = tenants.of(request);
      if (Object.keys(request.query as object).length > 0) {
        return sendGraphError(
          request,
          reply,
          400,
          'BadRequest',
          'This method does not support OData query parameters.',
        );
      }
      const user = findUserOr404(tenant, request, reply);
      if (!user) return reply;
      const methods = user.registration?.methodsRegistered ?? DEFAULT_METHODS;
      const registered =
        user.registration?.isSsprRegistered ?? methods.filter((m) => m !== 'securityQuestion').length >= 1;
      const record = {
        '@odata.context': `${tenant.graphUrl}/${version}/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity`,
        id: user.id,
        userPrincipalName: user.userPrincipalName,
        userDisplayName: user.displayName,
        userType: 'member',
        isAdmin: user.roles.length > 0,
        isSsprRegistered: registered,
        isSsprEnabled: true,
        isSsprCapable: user.registration?.isSsprCapable ?? registered,
        isMfaRegistered: methods.length > 0,
        isMfaCapable: methods.length > 0,
        isPasswordlessCapable: false,
        isSystemPreferredAuthenticationMethodEnabled: false,
        methodsRegistered: methods,
        systemPreferredAuthenticationMethods: [],
        userPreferredMethodForSecondaryAuthentication: null,
        lastUpdatedDateTime: new Date(tenant.now.getTime() - 86_400_000).toISOString(),
      } satisfies { [K in keyof UserRegistrationDetails]?: unknown } & Record<string, unknown>;
      return sendGraph(reply, 200, record);
    },
  );
}
