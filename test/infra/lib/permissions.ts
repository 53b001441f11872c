/**
 * Microsoft Graph application permissions, from four places that must agree:
 * the code (the permission each Graph call names in its error hint), infra/graph-permissions.json
 * (what the grant script grants), the README "Permissions" tables and docs/DEPLOY.md.
 */

/** Who holds a permission: the Function App's identity or the Automation account's (the runbook). */
export type Holder = 'function' | 'runbook';
/** `always`, or only when the app fixes by that method (REMEDIATION_METHOD). */
export type Condition = 'always' | 'runbook' | 'graph';

export interface PermissionNeed {
  holder: Holder;
  permission: string;
  condition: Condition;
}

export interface Manifest {
  resourceAppId: string;
  identities: Record<string, { description: string; principalIdVariable: string }>;
  grants: Array<{ identity: string; permission: string; reason: string; when?: Record<string, string[]> }>;
}

export const GRAPH_PERMISSION = /\b[A-Z][A-Za-z]+\.(?:Read|ReadWrite|ReadBasic)(?:\.[A-Z][A-Za-z]*)+\b/g;

export function permissionsNamedIn(text: string): string[] {
  return [...new Set(text.match(GRAPH_PERMISSION) ?? [])];
}

export function key(need: PermissionNeed): string {
  return `${need.holder} ${need.permission} (${need.condition})`;
}

/** The manifest's grants as needs; `when.remediationMethod` gives the condition. */
export function manifestNeeds(manifest: Manifest): PermissionNeed[] {
  return manifest.grants.map((grant) => {
    const methods = grant.when?.remediationMethod;
    const condition: Condition = !methods
      ? 'always'
      : methods.length === 1 && (methods[0] === 'runbook' || methods[0] === 'graph')
        ? methods[0]
        : 'always';
    return { holder: grant.identity as Holder, permission: grant.permission, condition };
  });
}

/** Problems inside the manifest itself: unknown identities, duplicates, missing reasons, fix grants outside the fixing modes. */
export function manifestProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  if (manifest.resourceAppId !== '00000003-0000-0000-c000-000000000000')
    problems.push('resourceAppId is not Microsoft Graph (00000003-0000-0000-c000-000000000000).');
  const seen = new Set<string>();
  for (const grant of manifest.grants) {
    const id = `${grant.identity} ${grant.permission}`;
    if (!manifest.identities[grant.identity]) problems.push(`${id}: unknown identity "${grant.identity}".`);
    if (seen.has(id)) problems.push(`${id} is listed twice.`);
    seen.add(id);
    if (!grant.reason || grant.reason.length < 20)
      problems.push(`${id}: says not why it is needed (reason).`);
    if (/ReadWrite/.test(grant.permission)) {
      const modes = grant.when?.actionMode ?? [];
      if (modes.length === 0 || modes.some((mode) => mode !== 'remediate' && mode !== 'approve')) {
        problems.push(`${id} writes to the tenant but is not limited to ACTION_MODE remediate/approve.`);
      }
    }
  }
  return problems;
}

/**
 * The README's "Permissions" section: the first table lists the scanning identity's permissions (always);
 * the second lists `identity | permission | when`, Graph rows only (Azure RBAC rows are not Graph).
 */
export function readmeNeeds(markdown: string, heading = '## Permissions'): PermissionNeed[] {
  const start = markdown.indexOf(heading);
  if (start === -1) throw new Error(`no "${heading}" section`);
  const rest = markdown.slice(start + heading.length);
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const tables = section
    .split(/\n(?!\|)/)
    .map((block) => block.split('\n').filter((line) => line.startsWith('|')))
    .filter((rows) => rows.length > 2);
  if (tables.length < 2)
    throw new Error(`"${heading}" should hold two tables (scan, fix), found ${tables.length}`);
  const cells = (row: string) =>
    row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const needs: PermissionNeed[] = [];
  for (const row of tables[0].slice(2)) {
    for (const permission of permissionsNamedIn(cells(row)[0]))
      needs.push({ holder: 'function', permission, condition: 'always' });
  }
  for (const row of tables[1].slice(2)) {
    const [identity, permissionCell, when] = cells(row);
    if (!/Graph/.test(permissionCell)) continue;
    const holder: Holder = /runbook|Automation/i.test(identity) ? 'runbook' : 'function';
    const condition: Condition = /REMEDIATION_METHOD=graph/.test(when)
      ? 'graph'
      : /REMEDIATION_METHOD=runbook/.test(when)
        ? 'runbook'
        : 'always';
    for (const permission of permissionsNamedIn(permissionCell))
      needs.push({ holder, permission, condition });
  }
  return needs;
}

/** docs/DEPLOY.md's table: `| identity | permission | when | why |`, Graph rows only. */
export function deployDocNeeds(markdown: string, heading: string): PermissionNeed[] {
  const start = markdown.indexOf(heading);
  if (start === -1) throw new Error(`no "${heading}" section`);
  const rest = markdown.slice(start + heading.length);
  const end = rest.search(/^#{2,3} /m);
  const rows = (end === -1 ? rest : rest.slice(0, end))
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2);
  const needs: PermissionNeed[] = [];
  for (const row of rows) {
    const [identity, permissionCell, when] = row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (!/Graph/.test(permissionCell)) continue;
    const holder: Holder = /runbook|Automation/i.test(identity) ? 'runbook' : 'function';
    const condition: Condition = /REMEDIATION_METHOD=graph/.test(when)
      ? 'graph'
      : /REMEDIATION_METHOD=runbook/.test(when)
        ? 'runbook'
        : 'always';
    for (const permission of permissionsNamedIn(permissionCell))
      needs.push({ holder, permission, condition });
  }
  return needs;
}

/** Every need in one list and not in the other, both ways, named by where it is missing. */
export function comparePermissions(lists: Record<string, PermissionNeed[]>): string[] {
  const problems: string[] = [];
  const names = Object.keys(lists);
  const all = new Map<string, PermissionNeed>();
  for (const list of Object.values(lists)) for (const need of list) all.set(key(need), need);
  for (const [id] of all) {
    const missingFrom = names.filter((name) => !lists[name].some((need) => key(need) === id));
    if (missingFrom.length > 0) {
      const presentIn = names.filter((name) => !missingFrom.includes(name));
      problems.push(`${id}: in ${presentIn.join(', ')} but not in ${missingFrom.join(', ')}.`);
    }
  }
  return problems;
}
