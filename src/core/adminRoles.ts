import data from './data/adminSsprRoles.json';
import type { AdminRole } from './model';

/** Built-in roles covered by the administrator SSPR policy, by role template id. */
export const ADMIN_SSPR_ROLES: ReadonlyMap<string, string> = new Map(
  data.roles.map((role) => [role.templateId.toLowerCase(), role.displayName]),
);

export function adminRole(templateId: string | null | undefined): AdminRole | undefined {
  const id = templateId?.toLowerCase();
  const displayName = id ? ADMIN_SSPR_ROLES.get(id) : undefined;
  return id && displayName ? { templateId: id, displayName } : undefined;
}
