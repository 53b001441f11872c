import data from './data/adminSsprRoles.json';
import type { AdminRole } from './model';

/** Every role Microsoft lists under the admin reset policy, as the page names it, with its id where known. */
export const LISTED_ADMIN_ROLES: ReadonlyArray<{
  listedAs: string;
  displayName: string;
  templateId: string | null;
}> = data.roles;

/** Built-in roles covered by the administrator SSPR policy, by role template id. */
export const ADMIN_SSPR_ROLES: ReadonlyMap<string, string> = new Map(
  data.roles.flatMap((role) => (role.templateId ? [[role.templateId.toLowerCase(), role.displayName]] : [])),
);

/** Listed roles the built-in roles reference gives no template id for: found by name in roleDefinitions. */
export const ROLES_WITHOUT_TEMPLATE_ID: readonly string[] = data.roles
  .filter((role) => !role.templateId)
  .map((role) => role.displayName);

/**
 * A covered role by template id: the built-in list, plus `resolved` (template id → name) found for the
 * listed roles without a known id in the tenant's role definitions.
 */
export function adminRole(
  templateId: string | null | undefined,
  resolved: ReadonlyMap<string, string> = new Map(),
): AdminRole | undefined {
  const id = templateId?.toLowerCase();
  const displayName = id ? (ADMIN_SSPR_ROLES.get(id) ?? resolved.get(id)) : undefined;
  return id && displayName ? { templateId: id, displayName } : undefined;
}

/** Template ids of listed roles without a known id, from role definitions (`isBuiltIn`, `templateId`, `displayName`). */
export function resolveUnlistedIds(
  definitions: Array<{ templateId?: string | null; displayName?: string | null; isBuiltIn?: boolean | null }>,
): Map<string, string> {
  const wanted = new Map(ROLES_WITHOUT_TEMPLATE_ID.map((name) => [name.toLowerCase(), name]));
  const resolved = new Map<string, string>();
  for (const definition of definitions) {
    const name = wanted.get(definition.displayName?.trim().toLowerCase() ?? '');
    // A custom role may carry any name: only a built-in definition stands for a listed role.
    if (name && definition.isBuiltIn === true && definition.templateId)
      resolved.set(definition.templateId.toLowerCase(), name);
  }
  return resolved;
}
