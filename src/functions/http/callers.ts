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
