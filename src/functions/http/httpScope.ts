import { AppError } from '../../errors';
import type { StoredIncident } from '../../usecases/ports/state';
import { httpError } from './problem';
import { type Services } from '../../composition';

/**
 * The tenant a request is about: the one it names, which must be registered (TENANTS or `tenants add`),
 * or the only tenant the app watches. The HTTP endpoints never reach a tenant the operator did not add.
 */
export async function tenantOf(services: Services, requested: string | undefined): Promise<string> {
  const registry = await services.app.tenants();
  if (requested !== undefined) {
    if (!(await registry.get(requested))) {
      throw new AppError(
        'SCAN.UNKNOWN_TENANT',
        `Tenant ${requested} is not one this app watches. Add it (tenants add, PUT /api/tenants/{id}, or TENANTS), or use a registered tenant.`,
      );
    }
    return requested;
  }
  const all = await registry.list();
  if (all.length === 1) return all[0].tenantId;
  throw httpError(
    'HTTP.INVALID_REQUEST',
    `tenantId is required: this app watches ${all.length} tenants (GET /api/tenants lists them).`,
  );
}

/** Every tenant the app watches, or the one named. */
export async function tenantsOf(services: Services, requested: string | undefined): Promise<string[]> {
  if (requested !== undefined) return [await tenantOf(services, requested)];
  return (await (await services.app.tenants()).list()).map((tenant) => tenant.tenantId);
}

/** The incident in the named tenant, or searched in every registered tenant (incident ids are unique). */
export async function findIncident(
  services: Services,
  incidentId: string,
  tenantId: string | undefined,
): Promise<StoredIncident> {
  const tenants = await tenantsOf(services, tenantId);
  const state = services.app.state;
  const found = (await Promise.all(tenants.map((tenant) => state.getIncident(tenant, incidentId)))).find(
    (incident) => incident !== undefined,
  );
  if (!found)
    throw new AppError(
      'INCIDENT.NOT_FOUND',
      `No incident ${incidentId} in ${tenantId ? `tenant ${tenantId}` : 'the registered tenants'}. GET /api/incidents lists them.`,
    );
  return found;
}
