import { AppError } from '../../errors';
import { API_ROLES } from '../../usecases/ports/callers';
import type { ApiCaller, CallerRequest, CallerVerifier } from '../../usecases/ports/callers';

export { API_ROLES } from '../../usecases/ports/callers';

/**
 * Scans and reads: with an app registration for the API (API_AUDIENCE), they need a token with
 * `role` too; without one, the function key is all they need (a scan runs in ACTION_MODE or a safer
 * mode, so a key cannot make the app act more than the operator configured).
 */
export async function callerIfConfigured(
  verifier: CallerVerifier | undefined,
  request: CallerRequest,
  role: string,
): Promise<ApiCaller | undefined> {
  return verifier ? verifier.require(request, role) : undefined;
}

/**
 * Changing the tenant registry, and checking a tenant's access, always need a validated Entra ID token
 * with Tenants.Manage: a function key alone never adds a tenant, and the registry records who did.
 */
export async function tenantManager(
  verifier: CallerVerifier | undefined,
  request: CallerRequest,
): Promise<ApiCaller> {
  if (!verifier) {
    throw new AppError(
      'AUTH.NOT_CONFIGURED',
      'Managing tenants over HTTP needs an Entra ID app registration for the API: set API_AUDIENCE (docs/DEPLOY.md, "Calling the API"). Until then use the CLI: sspr-remediator tenants add|remove|check.',
    );
  }
  return verifier.require(request, API_ROLES.manageTenants);
}
