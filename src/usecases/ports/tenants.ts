import type { ActionMode } from '../../core/modes';

/**
 * Where one tenant's tickets go when it differs from the deployment's ticket settings. No secret is
 * ever kept here: a webhook URL (which carries its own token) is only the name of a Key Vault secret.
 * Validate input with `routingProblems` (src/core/ticketRouting.ts).
 */
export interface TicketRouting {
  /** Azure DevOps project, Jira project key, or GitHub repository (owner/name). */
  project?: string;
  /** ServiceNow assignment group. */
  assignmentGroup?: string;
  /**
   * The NAME of a secret in the deployment's own Key Vault (KEY_VAULT_URI) whose value is the webhook URL;
   * 1–127 letters, digits and '-'. Never a URI: whoever edits the registry could otherwise send the app's
   * Key Vault token to any host.
   */
  webhookUrlSecret?: string;
}

/** How the last scan of a tenant ended: what health, telemetry and `tenants list` show per tenant. */
export interface TenantHealth {
  at: string;
  outcome: 'scanned' | 'failed' | 'skipped-busy';
  /** The error code when it failed (e.g. AUTH.NO_TOKEN when consent is missing, GRAPH.FORBIDDEN). */
  code?: string;
  message?: string;
  /** Unresolved incidents after the scan. */
  openIncidents?: number;
}

export interface RegisteredTenant {
  tenantId: string;
  name?: string;
  /** A disabled tenant stays registered (its incidents and history kept) but is not scanned. */
  enabled: boolean;
  /** The most this tenant's scans may do; the safer of it and ACTION_MODE applies (never more). */
  modeCap?: ActionMode;
  routing?: TicketRouting;
  /** Who added it: 'TENANTS' for the setting's seed, otherwise the CLI user or the API caller. */
  addedBy: string;
  addedAt: string;
  lastScan?: TenantHealth;
}

export type TenantChanges = Partial<Pick<RegisteredTenant, 'name' | 'enabled' | 'modeCap' | 'routing'>>;

/** The tenants one deployment watches (issue 15), kept in STATE_STORAGE. */
export interface TenantRegistry {
  /**
   * False for the settings' list (no STATE_STORAGE): it can be read, not changed; `put` and `remove`
   * answer REGISTRY.NEEDS_STATE.
   */
  readonly durable: boolean;
  list(): Promise<RegisteredTenant[]>;
  get(tenantId: string): Promise<RegisteredTenant | undefined>;
  /**
   * Adds the tenant, or applies the changes to it if it is already registered. `routing` is merged
   * field by field: a field given replaces the registered one, an empty string removes it.
   */
  put(tenantId: string, changes: TenantChanges, addedBy: string): Promise<RegisteredTenant>;
  /** False when it was not registered. */
  remove(tenantId: string): Promise<boolean>;
  /**
   * Records how its last scan ended. A tenant removed meanwhile stays removed: this never adds a row
   * (a scan that was under way when the operator removed the tenant must not bring it back).
   */
  recordScan(tenantId: string, health: TenantHealth): Promise<void>;
}
