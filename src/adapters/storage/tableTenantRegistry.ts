import type { TokenCredential } from '@azure/identity';
import { RestError, TableClient } from '@azure/data-tables';
import { stateTable, storageFailed as storageFailedIn, createdOnce } from './storageAccess';
import { isActionMode } from '../../core/modes';
import type {
  RegisteredTenant,
  TenantChanges,
  TenantHealth,
  TenantRegistry,
  TicketRouting,
} from '../../usecases/ports/tenants';

export const TENANTS_TABLE = 'ssprTenants';
/** One partition: a deployment watches hundreds of tenants, not millions, and `list` is one query. */
const PARTITION = 'tenant';
const MAX_CONFLICT_RETRIES = 5;

/** The row: routing and the last scan are JSON text (Tables has no nested types); '' is "not set". */
interface TenantEntity {
  partitionKey: string;
  rowKey: string;
  tenantId: string;
  name: string;
  enabled: boolean;
  modeCap: string;
  routing: string;
  addedBy: string;
  addedAt: string;
  lastScan: string;
}

/**
 * The tenant registry in STATE_STORAGE (issue 15): one row per tenant, RowKey its lower-case id.
 * `put` creates the row or applies the changes under its ETag, so two writers never make two rows
 * and never lose each other's change; `recordScan` only ever merges into an existing row.
 */
export class TableTenantRegistry implements TenantRegistry {
  readonly durable = true;
  private readonly client: TableClient;

  constructor(connection: string, credential: TokenCredential) {
    this.client = stateTable(connection, TENANTS_TABLE, credential);
  }

  async list(): Promise<RegisteredTenant[]> {
    await this.ensureTable();
    const tenants: RegisteredTenant[] = [];
    try {
      const rows = this.client.listEntities<TenantEntity>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
      });
      for await (const row of rows) tenants.push(fromEntity(row));
    } catch (err) {
      throw storageFailed(err);
    }
    return tenants.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async get(tenantId: string): Promise<RegisteredTenant | undefined> {
    const row = await this.row(tenantId);
    return row && fromEntity(row);
  }

  async put(tenantId: string, changes: TenantChanges, addedBy: string): Promise<RegisteredTenant> {
    const rowKey = tenantId.toLowerCase();
    for (let attempt = 1; ; attempt++) {
      const existing = await this.row(rowKey);
      try {
        if (!existing) {
          const entity = toEntity({
            tenantId: rowKey,
            enabled: true,
            addedBy,
            addedAt: new Date().toISOString(),
            ...changes,
            routing: mergedRouting(undefined, changes.routing),
          });
          await this.client.createEntity(entity);
          return fromEntity(entity);
        }
        const registered = fromEntity(existing);
        const updated = {
          ...registered,
          ...changes,
          routing: mergedRouting(registered.routing, changes.routing),
        };
        // Replace under the ETag read: a concurrent change makes this fail (412), and we read again.
        await this.client.updateEntity(toEntity(updated), 'Replace', { etag: existing.etag });
        return updated;
      } catch (err) {
        // 409: another writer created the row first; 412: it changed since we read it. Read again.
        const raced = err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
        if (!raced || attempt >= MAX_CONFLICT_RETRIES) throw storageFailed(err);
      }
    }
  }

  async remove(tenantId: string): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.client.deleteEntity(PARTITION, tenantId.toLowerCase());
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return false;
      throw storageFailed(err);
    }
  }

  async recordScan(tenantId: string, health: TenantHealth): Promise<void> {
    await this.ensureTable();
    try {
      // updateEntity (Merge, ETag *) answers 404 for a missing row; an upsert would bring a removed tenant back.
      await this.client.updateEntity(
        { partitionKey: PARTITION, rowKey: tenantId.toLowerCase(), lastScan: JSON.stringify(health) },
        'Merge',
      );
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return;
      throw storageFailed(err);
    }
  }

  private async row(tenantId: string): Promise<(TenantEntity & { etag: string }) | undefined> {
    await this.ensureTable();
    try {
      return await this.client.getEntity<TenantEntity>(PARTITION, tenantId.toLowerCase());
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw storageFailed(err);
    }
  }

  private readonly ensureTable = createdOnce(() => this.client.createTable(), storageFailed);
}

/** A routing field given replaces the registered one; an empty string removes it. */
function mergedRouting(
  registered: TicketRouting | undefined,
  changes: TicketRouting | undefined,
): TicketRouting | undefined {
  const merged = Object.entries({ ...registered, ...changes }).filter(([, value]) => value);
  return merged.length > 0 ? Object.fromEntries(merged) : undefined;
}

function toEntity(tenant: RegisteredTenant): TenantEntity {
  return {
    partitionKey: PARTITION,
    rowKey: tenant.tenantId.toLowerCase(),
    tenantId: tenant.tenantId.toLowerCase(),
    name: tenant.name ?? '',
    enabled: tenant.enabled,
    modeCap: tenant.modeCap ?? '',
    routing: tenant.routing && Object.keys(tenant.routing).length > 0 ? JSON.stringify(tenant.routing) : '',
    addedBy: tenant.addedBy,
    addedAt: tenant.addedAt,
    lastScan: tenant.lastScan ? JSON.stringify(tenant.lastScan) : '',
  };
}

function fromEntity(row: TenantEntity): RegisteredTenant {
  const tenant: RegisteredTenant = {
    tenantId: row.rowKey,
    enabled: row.enabled !== false,
    addedBy: row.addedBy ?? '',
    addedAt: row.addedAt ?? '',
  };
  if (row.name) tenant.name = row.name;
  if (row.modeCap && isActionMode(row.modeCap)) tenant.modeCap = row.modeCap;
  const routing = parsed<TicketRouting>(row.routing);
  if (routing) tenant.routing = routing;
  const lastScan = parsed<TenantHealth>(row.lastScan);
  if (lastScan) tenant.lastScan = lastScan;
  return tenant;
}

/** A JSON column; a row edited by hand into something unreadable reads as not set, not as a crash. */
function parsed<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const storageFailed = (err: unknown) =>
  storageFailedIn(`The tenant registry (${TENANTS_TABLE} in STATE_STORAGE)`, err);
