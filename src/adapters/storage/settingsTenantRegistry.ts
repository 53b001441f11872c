import { AppError } from '../../errors';
import type { RegisteredTenant, TenantRegistry } from '../../usecases/ports/tenants';

/**
 * Without STATE_STORAGE the registry is the settings' list (TENANTS, else TENANT_ID): readable, every
 * tenant enabled, nothing kept between runs. Changing it means changing the setting.
 */
export class SettingsTenantRegistry implements TenantRegistry {
  readonly durable = false;

  constructor(private readonly tenants: readonly string[]) {}

  async list(): Promise<RegisteredTenant[]> {
    return this.tenants.map((tenantId) => ({ tenantId, enabled: true, addedBy: 'TENANTS', addedAt: '' }));
  }

  async get(tenantId: string): Promise<RegisteredTenant | undefined> {
    return (await this.list()).find((tenant) => tenant.tenantId === tenantId.toLowerCase());
  }

  put(): Promise<RegisteredTenant> {
    return Promise.reject(needsState());
  }

  remove(): Promise<boolean> {
    return Promise.reject(needsState());
  }

  /** Nowhere to keep it: the scan's own result and telemetry still report it. */
  async recordScan(): Promise<void> {}
}

function needsState(): AppError {
  return new AppError(
    'REGISTRY.NEEDS_STATE',
    'The tenant registry is kept in STATE_STORAGE, which is not set: without it the tenants are the TENANTS setting (or TENANT_ID). Set STATE_STORAGE to add or remove tenants, or edit TENANTS.',
  );
}
