import { AppError } from '../errors';
import { HIDDEN_CHARACTER } from '../core/hiddenCharacters';
import { routingProblems, type RoutedTicketSystem } from '../core/ticketRouting';
import { ACTION_MODES, isActionMode, isTenantId, modeRisk, type ActionMode } from '../core/modes';
import type { ReadCheck, TenantAccessProbe, TokenCheck } from './ports/graph';
import type { RegisteredTenant, TenantChanges, TenantRegistry, TicketRouting } from './ports/tenants';

/** Who added the tenants the TENANTS setting lists. */
export const SEEDED_BY = 'TENANTS';
const MAX_NAME = 256;

/** What the deployment allows a tenant: never a riskier mode, routing only for its ticket system. */
export interface Deployment {
  actionMode: ActionMode;
  ticketSystem?: RoutedTicketSystem;
}

/** What an operator asks to set on a tenant, before it is checked: the CLI's flags, the API's body. */
export interface TenantInput {
  name?: string;
  enabled?: boolean;
  modeCap?: string;
  routing?: { project?: string; assignmentGroup?: string; webhookUrlSecret?: string };
}

/**
 * Adds the tenants TENANTS lists that the registry lacks (added by 'TENANTS'). Never touches one it
 * has: an operator who disabled or capped a tenant keeps that across restarts. Returns the ids added.
 */
export async function seedRegistry(registry: TenantRegistry, seed: readonly string[]): Promise<string[]> {
  if (!registry.durable) return [];
  const known = new Set((await registry.list()).map((tenant) => tenant.tenantId));
  const missing = seed.filter((tenantId) => !known.has(tenantId));
  for (const tenantId of missing) await registry.put(tenantId, {}, SEEDED_BY);
  return missing;
}

/** Adds a tenant or changes one, after checking every field; `addedBy` is kept only when it is new. */
export async function putTenant(
  registry: TenantRegistry,
  deployment: Deployment,
  tenantId: string,
  input: TenantInput,
  addedBy: string,
): Promise<RegisteredTenant> {
  if (!registry.durable) await registry.put(tenantId, {}, addedBy); // answers REGISTRY.NEEDS_STATE
  const changes = tenantChanges(tenantId, input, deployment);
  return registry.put(tenantId.toLowerCase(), changes, addedBy);
}

/**
 * Removes a tenant the operator added. One TENANTS lists would be added back at the next start, so it
 * is refused with the fix; incidents and history of a removed tenant stay in STATE_STORAGE.
 */
export async function removeTenant(
  registry: TenantRegistry,
  seed: readonly string[],
  tenantId: string,
): Promise<void> {
  if (!isTenantId(tenantId))
    throw invalid([`"${tenantId}" is not a tenant id: use the directory id, a GUID.`]);
  const id = tenantId.toLowerCase();
  if (!registry.durable) await registry.remove(id); // answers REGISTRY.NEEDS_STATE
  if (seed.includes(id)) {
    throw new AppError(
      'REGISTRY.IN_TENANTS',
      `Tenant ${id} is listed in the TENANTS setting, which adds it back at every start. Remove it from TENANTS first (or disable it here instead), then remove it.`,
    );
  }
  if (!(await registry.remove(id))) {
    throw new AppError(
      'REGISTRY.UNKNOWN_TENANT',
      `Tenant ${id} is not registered. \`sspr-remediator tenants list\` (GET /api/tenants) lists the registered tenants.`,
    );
  }
}

/** The checked changes, or REGISTRY.INVALID naming every field that is wrong and how to write it. */
export function tenantChanges(tenantId: string, input: TenantInput, deployment: Deployment): TenantChanges {
  const { actionMode } = deployment;
  const problems: string[] = [];
  if (!isTenantId(tenantId)) problems.push(`"${tenantId}" is not a tenant id: use the directory id, a GUID.`);
  const changes: TenantChanges = {};
  if (input.name !== undefined) {
    const name = plainText('name', input.name, MAX_NAME, problems);
    if (name !== undefined) changes.name = name;
  }
  if (input.enabled !== undefined) changes.enabled = input.enabled;
  if (input.modeCap !== undefined) {
    const cap = input.modeCap;
    if (!isActionMode(cap)) problems.push(`mode cap "${cap}" is not one of ${ACTION_MODES.join(', ')}.`);
    else if (modeRisk(cap) > modeRisk(actionMode))
      problems.push(
        `mode cap "${cap}" does more than ACTION_MODE=${actionMode} allows: a tenant may be held to a safer mode than the deployment's, never a riskier one.`,
      );
    else changes.modeCap = cap;
  }
  if (input.routing !== undefined)
    changes.routing = routingOf(input.routing, deployment.ticketSystem, problems);
  if (problems.length > 0) throw invalid(problems);
  return changes;
}

/**
 * Routing fields given; an empty one ('') removes that field from the tenant's routing. The rest follow
 * the sinks' own rules (core/ticketRouting.ts): the field must apply to TICKET_SYSTEM, and the webhook
 * URL is only the name of a secret in the deployment's Key Vault, never a URI another host could answer.
 */
function routingOf(
  input: NonNullable<TenantInput['routing']>,
  ticketSystem: RoutedTicketSystem | undefined,
  problems: string[],
): TicketRouting {
  const routing: TicketRouting = {};
  for (const field of ['project', 'assignmentGroup', 'webhookUrlSecret'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === '') routing[field] = '';
    else {
      const found = routingProblems({ [field]: value }, ticketSystem);
      if (found.length > 0) problems.push(...found);
      else routing[field] = value;
    }
  }
  return routing;
}

/** Text an operator or approver reads: no control or invisible characters, not blank, bounded. */
function plainText(what: string, text: string, max: number, problems: string[]): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') problems.push(`${what} is blank.`);
  else if (trimmed.length > max) problems.push(`${what} is longer than ${max} characters.`);
  else if (HIDDEN_CHARACTER.test(trimmed))
    problems.push(
      `${what} must not contain control or invisible formatting characters (such as U+202E): type it plainly.`,
    );
  else return trimmed;
  return undefined;
}

function invalid(problems: string[]): AppError {
  return new AppError('REGISTRY.INVALID', problems.join(' '));
}

/** What `tenants check` found: whether a scan of the tenant can read everything it needs. */
export interface TenantCheck {
  tenantId: string;
  /** A token was had and every read worked. */
  ok: boolean;
  token: TokenCheck;
  reads: ReadCheck[];
  /** The permissions Graph refused, each named once. */
  missingPermissions: string[];
  /** Where a tenant's administrator consents to the app (when FLEET_CLIENT_ID is known). */
  adminConsentUrl?: string;
}

/** Tries each read the scan needs and names every missing permission and where to consent. */
export async function checkTenant(
  probe: TenantAccessProbe,
  target: { tenantId: string; authorityHost: string; fleetClientId?: string },
): Promise<TenantCheck> {
  const { token, reads } = await probe.tryReads();
  const missingPermissions = [
    ...new Set(reads.filter((read) => read.outcome === 'missing-permission').map((read) => read.permission)),
  ];
  const check: TenantCheck = {
    tenantId: target.tenantId,
    ok: token.ok && reads.every((read) => read.outcome === 'ok'),
    token,
    reads,
    missingPermissions,
  };
  if (target.fleetClientId)
    check.adminConsentUrl = `${target.authorityHost.replace(/\/+$/, '')}/${target.tenantId}/adminconsent?client_id=${encodeURIComponent(target.fleetClientId)}`;
  return check;
}
