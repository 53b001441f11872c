import type { SettingProblem } from '../errors';
import { isTenantId } from '../core/modes';
import { blankIsUnset } from './settingValues';

/**
 * The tenants the deployment is told to watch: TENANTS (comma-separated), else TENANT_ID; lower case,
 * without repeats. The CLI and the Functions app read the same list: it seeds the tenant registry.
 * `problem`: ids that are not GUIDs, named with the setting they came from.
 */
export function tenantListOf(env: NodeJS.ProcessEnv): { tenants: string[]; problem?: SettingProblem } {
  const text = blankIsUnset(env.TENANTS) as string | undefined;
  const setting = text !== undefined ? 'TENANTS' : 'TENANT_ID';
  const list = (text ?? env.TENANT_ID ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const bad = list.filter((id) => !isTenantId(id));
  const tenants = [...new Set(list.filter(isTenantId).map((id) => id.toLowerCase()))];
  if (bad.length === 0) return { tenants };
  return {
    tenants,
    problem: {
      setting,
      message: `${JSON.stringify(bad.join(','))} ${bad.length > 1 ? 'are not tenant ids' : 'is not a tenant id'}. ${setting} is a comma-separated list of directory (tenant) ids, GUIDs.`,
    },
  };
}
