import { HIDDEN_CHARACTER } from './hiddenCharacters';

/**
 * The rules for one tenant's ticket routing (issue 15), pure so the tenant registry's input validation,
 * the CLI and the sinks agree. The shape matches `TicketRouting` in usecases/ports/tenants.ts (core may
 * not import ports, so it is restated structurally here).
 */

export type RoutedTicketSystem = 'servicenow' | 'jira' | 'azuredevops' | 'github' | 'webhook';

export interface RoutingFields {
  project?: string;
  assignmentGroup?: string;
  webhookUrlSecret?: string;
}

/** GitHub: owner (letters, digits, single inner hyphens, ≤ 39) / repository (letters, digits, . _ -, ≤ 100; not . or ..). */
export const GITHUB_REPOSITORY =
  /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
/** Jira project key: a capital letter, then capitals, digits or underscores (Jira's default key rule). */
export const JIRA_PROJECT_KEY = /^[A-Z][A-Z0-9_]{1,254}$/;
/** Key Vault secret names: 1–127 letters, digits and '-' (Key Vault's own rule). */
const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;
// Azure DevOps project names are at most 64 characters; ServiceNow group names fit in 100.
const AZURE_DEVOPS_PROJECT_LIMIT = 64;
const ASSIGNMENT_GROUP_LIMIT = 100;

/** Whether `name` is a valid Key Vault secret name. Only a name: never a URI another host could answer. */
export function isKeyVaultSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Which systems each field applies to. */
const APPLIES: Record<keyof RoutingFields, RoutedTicketSystem[]> = {
  project: ['azuredevops', 'jira', 'github'],
  assignmentGroup: ['servicenow'],
  webhookUrlSecret: ['webhook'],
};

/**
 * Every problem with `routing` for the deployment's TICKET_SYSTEM, as sentences naming the field and the
 * fix; empty when it is fine. `system` undefined (no ticket system configured): any field is a problem.
 */
export function routingProblems(routing: RoutingFields, system: RoutedTicketSystem | undefined): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(APPLIES) as Array<keyof RoutingFields>) {
    const value: unknown = routing[field];
    if (value === undefined) continue;
    if (!system || !APPLIES[field].includes(system)) {
      problems.push(
        `routing.${field} applies to ${APPLIES[field].join(', ')} only; TICKET_SYSTEM is ${system ?? 'not set'}. Remove it.`,
      );
      continue;
    }
    const plain = plainTextProblem(field, value);
    if (plain) {
      problems.push(plain);
      continue;
    }
    const shape = shapeProblem(field, value as string, system);
    if (shape) problems.push(shape);
  }
  return problems;
}

function plainTextProblem(field: keyof RoutingFields, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `routing.${field} must be non-empty text.`;
  if (value !== value.trim()) return `routing.${field} must not start or end with spaces.`;
  if (HIDDEN_CHARACTER.test(value))
    return `routing.${field} contains control or invisible characters; type it again as plain text.`;
  return undefined;
}

function shapeProblem(
  field: keyof RoutingFields,
  value: string,
  system: RoutedTicketSystem,
): string | undefined {
  if (field === 'webhookUrlSecret') {
    return isKeyVaultSecretName(value)
      ? undefined
      : 'routing.webhookUrlSecret must be the name of a secret in the deployment\'s Key Vault (1–127 letters, digits and "-"), e.g. tenant-contoso-webhook; not a URI or the URL itself.';
  }
  if (field === 'assignmentGroup') {
    return value.length <= ASSIGNMENT_GROUP_LIMIT
      ? undefined
      : `routing.assignmentGroup must be at most ${ASSIGNMENT_GROUP_LIMIT} characters (a ServiceNow group name or sys_id).`;
  }
  if (system === 'github') {
    return GITHUB_REPOSITORY.test(value)
      ? undefined
      : 'routing.project must be a GitHub repository as owner/name (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name), e.g. contoso/identity-ops.';
  }
  if (system === 'jira') {
    return JIRA_PROJECT_KEY.test(value)
      ? undefined
      : 'routing.project must be a Jira project key (capital letters, digits, underscore, starting with a letter), e.g. SEC; not the project name.';
  }
  // Azure DevOps: a project name or id; these characters would change the request path.
  // "." and ".." would be dropped from the request path by URL normalisation; Azure DevOps refuses a trailing "." anyway.
  return value.length <= AZURE_DEVOPS_PROJECT_LIMIT && !/[/\\?#%]/.test(value) && !value.endsWith('.')
    ? undefined
    : `routing.project must be an Azure DevOps project name or id (at most ${AZURE_DEVOPS_PROJECT_LIMIT} characters, without / \\ ? # or %, not ending in .).`;
}
