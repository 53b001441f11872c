import { AppError } from '../../errors';
import type { StoredIncident } from '../../usecases/ports/state';
import type { FunctionsSettings } from '../../config/functionsSettings';
import { httpError } from './problem';
import { type Services } from '../../composition';

/**
 * The tenant a request is about: the one it names, which must be in TENANTS, or the only tenant the
 * app serves. The HTTP endpoints never reach a tenant the operator did not configure.
 */
export function tenantOf(settings: FunctionsSettings, requested: string | undefined): string {
  if (requested !== undefined) {
    if (!settings.tenants.includes(requested)) {
      throw new AppError(
        'SCAN.UNKNOWN_TENANT',
        `Tenant ${requested} is not one this app serves. Add it to TENANTS, or use one of the configured tenants.`,
      );
    }
    return requested;
  }
  if (settings.tenants.length === 1) return settings.tenants[0];
  throw httpError(
    'HTTP.INVALID_REQUEST',
    `tenantId is required: this app serves ${settings.tenants.length} tenants (TENANTS).`,
  );
}

/** The incident in the named tenant, or searched in every configured tenant (incident ids are unique). */
export async function findIncident(
  services: Services,
  incidentId: string,
  tenantId: string | undefined,
): Promise<StoredIncident> {
  const tenants =
    tenantId !== undefined ? [tenantOf(services.settings, tenantId)] : services.settings.tenants;
  const state = services.app.state;
  const found = (await Promise.all(tenants.map((tenant) => state.getIncident(tenant, incidentId)))).find(
    (incident) => incident !== undefined,
  );
  if (!found)
    throw new AppError(
      'INCIDENT.NOT_FOUND',
      `No incident ${incidentId} in ${tenantId ? `tenant ${tenantId}` : 'the configured tenants'}. GET /api/incidents lists them.`,
    );
  return found;
}
