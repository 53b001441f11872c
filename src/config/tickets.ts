import { z } from 'zod';
import { GITHUB_REPOSITORY, JIRA_PROJECT_KEY } from '../core/ticketRouting';
import { blankIsUnset, problemsOf, settingsError } from './settingValues';

/** The ticket systems' settings: one schema per system, read when TICKET_SYSTEM names it. */

export const TICKET_SYSTEMS = ['servicenow', 'jira', 'azuredevops', 'github', 'webhook'] as const;

function required(name: string, what: string) {
  return z.preprocess(blankIsUnset, z.string({ message: `${name} is required: ${what}.` }));
}

/** An absolute https URL without credentials (a webhook URL, from TICKET_WEBHOOK_URL or Key Vault). */
export function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && !url.username && !url.password;
  } catch {
    return false;
  }
}

export function isHttpsBase(text: string): boolean {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'https:' && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

export const servicenowSettingsSchema = z.object({
  SERVICENOW_INSTANCE_URL: z.preprocess(
    blankIsUnset,
    z
      .string({
        message:
          'SERVICENOW_INSTANCE_URL is required: the https:// address of the instance, e.g. https://contoso.service-now.com.',
      })
      .refine(isHttpsBase, {
        message:
          'SERVICENOW_INSTANCE_URL must be an https:// URL without query or credentials, e.g. https://contoso.service-now.com (the password is sent with every request).',
      })
      .transform((text) => text.replace(/\/+$/, '')),
  ),
  SERVICENOW_USERNAME: required(
    'SERVICENOW_USERNAME',
    'the integration user, with the itil role (or write access to incident)',
  ).refine((text) => !text.includes(':'), {
    message: 'SERVICENOW_USERNAME must not contain ":" (basic auth cannot carry it).',
  }),
  SERVICENOW_PASSWORD: required(
    'SERVICENOW_PASSWORD',
    "that user's password; keep it in Key Vault or app settings, never in code",
  ),
  SERVICENOW_ASSIGNMENT_GROUP: z.preprocess(blankIsUnset, z.string().optional()),
  SERVICENOW_CLOSE_CODE: z.preprocess(blankIsUnset, z.string().default('Solution provided')),
});

export type ServicenowSettings = z.output<typeof servicenowSettingsSchema>;

export const jiraSettingsSchema = z.object({
  JIRA_BASE_URL: z.preprocess(
    blankIsUnset,
    z
      .string({
        message:
          'JIRA_BASE_URL is required: the https:// address of the Jira site, e.g. https://contoso.atlassian.net.',
      })
      .refine(isHttpsBase, {
        message:
          'JIRA_BASE_URL must be an https:// URL without query or credentials, e.g. https://contoso.atlassian.net (the API token is sent with every request).',
      })
      .transform((text) => text.replace(/\/+$/, '')),
  ),
  JIRA_EMAIL: required(
    'JIRA_EMAIL',
    'the e-mail address of the Atlassian account the API token belongs to',
  ).refine((text) => !text.includes(':'), {
    message: 'JIRA_EMAIL must not contain ":" (basic auth cannot carry it).',
  }),
  JIRA_API_TOKEN: required(
    'JIRA_API_TOKEN',
    'an API token of that account (id.atlassian.com → Security → API tokens), not its password',
  ),
  JIRA_PROJECT_KEY: required('JIRA_PROJECT_KEY', 'the key of the project the issues go to, e.g. SEC').refine(
    (text) => JIRA_PROJECT_KEY.test(text),
    {
      message:
        'JIRA_PROJECT_KEY must be a project key (capital letters, digits, underscore, starting with a letter), e.g. SEC; not the project name.',
    },
  ),
  JIRA_ISSUE_TYPE: z.preprocess(blankIsUnset, z.string().default('Task')),
});

export type JiraSettings = z.output<typeof jiraSettingsSchema>;

export const azureDevOpsSettingsSchema = z.object({
  AZURE_DEVOPS_ORG_URL: z.preprocess(
    blankIsUnset,
    z
      .string({
        message:
          'AZURE_DEVOPS_ORG_URL is required: the https:// address of the organization, e.g. https://dev.azure.com/contoso.',
      })
      .refine(isHttpsBase, {
        message:
          'AZURE_DEVOPS_ORG_URL must be an https:// URL without query or credentials, e.g. https://dev.azure.com/contoso (the token is sent with every request).',
      })
      .transform((text) => text.trim().replace(/\/+$/, '')),
  ),
  AZURE_DEVOPS_PROJECT: required(
    'AZURE_DEVOPS_PROJECT',
    'the project (name or id) the work items go into, e.g. Identity',
  ).refine((text) => !/[/\\?#]/.test(text), {
    message: 'AZURE_DEVOPS_PROJECT must be a project name or id, without / \\ ? or #.',
  }),
  AZURE_DEVOPS_PAT: required(
    'AZURE_DEVOPS_PAT',
    'a personal access token with the Work Items (Read & write) scope; keep it in Key Vault or app settings, never in code',
  ),
  AZURE_DEVOPS_WORK_ITEM_TYPE: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default('Issue')
      .refine((text) => !/[/\\?#]/.test(text), {
        message: 'AZURE_DEVOPS_WORK_ITEM_TYPE must be a work item type name such as Issue, Bug or Task.',
      }),
  ),
  AZURE_DEVOPS_DONE_STATE: z.preprocess(blankIsUnset, z.string().default('Done')),
});

export type AzureDevOpsSettings = z.output<typeof azureDevOpsSettingsSchema>;

export const githubSettingsSchema = z.object({
  GITHUB_REPOSITORY: z.preprocess(
    blankIsUnset,
    z
      .string({
        message:
          'GITHUB_REPOSITORY is required: the repository the issues go into, as owner/repo, e.g. contoso/identity-ops.',
      })
      .transform((text) => text.trim())
      .refine((text) => GITHUB_REPOSITORY.test(text), {
        message:
          'GITHUB_REPOSITORY must be owner/repo (letters, digits, "-" in the owner; letters, digits, ".", "_", "-" in the name), e.g. contoso/identity-ops.',
      }),
  ),
  GITHUB_TOKEN: z.preprocess(
    blankIsUnset,
    z
      .string({
        message:
          'GITHUB_TOKEN is required: a fine-grained token (or GitHub App token) with Issues: Read and write on GITHUB_REPOSITORY; keep it in Key Vault or app settings, never in code.',
      })
      .transform((text) => text.trim()),
  ),
  GITHUB_API_URL: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default('https://api.github.com')
      .refine(isHttpsBase, {
        message:
          'GITHUB_API_URL must be an https:// URL without query or credentials: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server (the token is sent with every request).',
      })
      .transform((text) => text.trim().replace(/\/+$/, '')),
  ),
});

export type GithubSettings = z.output<typeof githubSettingsSchema>;

export const webhookSettingsSchema = z.object({
  TICKET_WEBHOOK_URL: z.preprocess(
    blankIsUnset,
    z
      .string({
        message: 'TICKET_WEBHOOK_URL is required: the https:// address that receives ticket events as JSON.',
      })
      .refine(isHttpsUrl, {
        message:
          'TICKET_WEBHOOK_URL must be an absolute https:// URL without credentials (incident details and the signature travel in it).',
      }),
  ),
  TICKET_WEBHOOK_SECRET: z.preprocess(
    blankIsUnset,
    z
      .string()
      .min(16, {
        message:
          'TICKET_WEBHOOK_SECRET must be at least 16 characters: a random value shared with the receiver, e.g. `openssl rand -hex 32`.',
      })
      .optional(),
  ),
});

export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

const SCHEMAS = {
  servicenow: servicenowSettingsSchema,
  jira: jiraSettingsSchema,
  azuredevops: azureDevOpsSettingsSchema,
  github: githubSettingsSchema,
  webhook: webhookSettingsSchema,
} as const satisfies Record<(typeof TICKET_SYSTEMS)[number], z.ZodType>;

const NAMES = {
  servicenow: 'ServiceNow',
  jira: 'Jira',
  azuredevops: 'Azure DevOps',
  github: 'GitHub',
  webhook: 'webhook',
} as const;

export type TicketSettings =
  | { system: 'servicenow'; settings: ServicenowSettings }
  | { system: 'jira'; settings: JiraSettings }
  | { system: 'azuredevops'; settings: AzureDevOpsSettings }
  | { system: 'github'; settings: GithubSettings }
  | { system: 'webhook'; settings: WebhookSettings };

/** The settings of one ticket system; every problem names its variable, never a secret's value. */
export function ticketSettingsOf(
  system: (typeof TICKET_SYSTEMS)[number],
  env: NodeJS.ProcessEnv,
): { tickets?: TicketSettings; problems: ReturnType<typeof problemsOf> } {
  const parsed = SCHEMAS[system].safeParse(env);
  if (!parsed.success) return { problems: problemsOf(parsed.error.issues, env, () => undefined) };
  return { tickets: { system, settings: parsed.data } as TicketSettings, problems: [] };
}

/** Throws one CONFIG.INVALID naming each bad variable of the system's settings. */
export function loadTicketSettings(
  system: (typeof TICKET_SYSTEMS)[number],
  env: NodeJS.ProcessEnv,
): TicketSettings {
  const { tickets, problems } = ticketSettingsOf(system, env);
  if (!tickets) throw settingsError(problems, `Invalid ${NAMES[system]} settings`);
  return tickets;
}

/** One loader per system, for callers that know which system they hold (the sink tests). */
export const loadServicenowSettings = (env: NodeJS.ProcessEnv) =>
  systemSettings('servicenow', env) as ServicenowSettings;
export const loadJiraSettings = (env: NodeJS.ProcessEnv) => systemSettings('jira', env) as JiraSettings;
export const loadAzureDevOpsSettings = (env: NodeJS.ProcessEnv) =>
  systemSettings('azuredevops', env) as AzureDevOpsSettings;
export const loadGithubSettings = (env: NodeJS.ProcessEnv) => systemSettings('github', env) as GithubSettings;
export const loadWebhookSettings = (env: NodeJS.ProcessEnv) =>
  systemSettings('webhook', env) as WebhookSettings;

function systemSettings(system: (typeof TICKET_SYSTEMS)[number], env: NodeJS.ProcessEnv) {
  return loadTicketSettings(system, env).settings;
}
