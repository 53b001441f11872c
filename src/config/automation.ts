import { z } from 'zod';
import type { CloudName } from './clouds';
import { GUID } from '../core/modes';
import { blankIsUnset, problemsOf, settingsError } from './settingValues';

/** Resource Manager per national cloud (DESIGN.md §2); ARM_ENDPOINT overrides it. DoD shares US Gov's. */
export const ARM_ENDPOINTS: Record<CloudName, string> = {
  AzurePublic: 'https://management.azure.com',
  AzureUSGovernment: 'https://management.usgovcloudapi.net',
  AzureUSGovernmentDoD: 'https://management.usgovcloudapi.net',
  AzureChina: 'https://management.chinacloudapi.cn',
};

/** Connect-MgGraph -Environment names for our AZURE_CLOUD names; the runbook's ValidateSet must list exactly these. */
export const GRAPH_ENVIRONMENTS = {
  AzurePublic: 'Global',
  AzureUSGovernment: 'USGov',
  AzureUSGovernmentDoD: 'USGovDoD',
  AzureChina: 'China',
} as const satisfies Record<CloudName, string>;
export type GraphEnvironment = (typeof GRAPH_ENVIRONMENTS)[CloudName];

/** A required text setting: a missing value and a malformed one get their own sentence. */
function required(name: string, pattern: RegExp, missing: string, malformed: string) {
  return z.preprocess(
    blankIsUnset,
    z
      .string({ error: `${name} is not set: ${missing}` })
      .trim()
      .regex(pattern, { message: `${name} ${malformed}` }),
  );
}

/** The runbook method's settings, read from the environment; every message names the variable and the fix. */
export const automationSettingsSchema = z.object({
  AUTOMATION_SUBSCRIPTION_ID: required(
    'AUTOMATION_SUBSCRIPTION_ID',
    GUID,
    'set it to the id of the subscription that holds the Automation account (a GUID).',
    'must be a subscription id, a GUID such as 00000000-0000-4000-8000-00000000a001 (az account show --query id).',
  ),
  // Resource group rules: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'.
  AUTOMATION_RESOURCE_GROUP: required(
    'AUTOMATION_RESOURCE_GROUP',
    /^[-\w.()]{0,89}[-\w()]$/,
    'set it to the resource group of the Automation account.',
    "must be a resource group name: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'.",
  ),
  // Automation account rules: 6-50 characters, letters, digits and '-', starting with a letter, ending with a letter or digit.
  AUTOMATION_ACCOUNT: required(
    'AUTOMATION_ACCOUNT',
    /^[a-z][a-z0-9-]{4,48}[a-z0-9]$/i,
    'set it to the name of the Automation account that runs the runbook.',
    "must be an Automation account name: 6-50 letters, digits or '-', starting with a letter and ending with a letter or digit.",
  ),
  AUTOMATION_RUNBOOK: z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/i, {
        message:
          "AUTOMATION_RUNBOOK must be a runbook name (up to 63 letters, digits, '-' or '_', starting with a letter), or unset for Enable-AdminSspr.",
      })
      .default('Enable-AdminSspr'),
  ),
  ARM_ENDPOINT: z.preprocess(
    blankIsUnset,
    z
      .string()
      .optional()
      .refine((text) => text === undefined || isHttpsOrigin(text), {
        message:
          'ARM_ENDPOINT must be an absolute https:// URL without a path, e.g. https://management.azure.com (tokens are only ever sent over https), or unset to follow AZURE_CLOUD.',
      })
      .transform((text) => text?.replace(/\/+$/, '')),
  ),
});

export interface AutomationSettings {
  subscriptionId: string;
  resourceGroup: string;
  account: string;
  runbook: string;
  /** Resource Manager origin, no trailing slash. */
  armEndpoint: string;
  /** The cloud's Resource Manager, whose `/.default` scope tokens are asked for, whatever ARM_ENDPOINT says. */
  armAudience: string;
  /** Passed to the runbook as -Environment for Connect-MgGraph. */
  graphEnvironment: GraphEnvironment;
}

/** Reads the runbook settings once. Throws one CONFIG.INVALID that lists each bad setting, its value and the fix. */
export function loadAutomationSettings(env: NodeJS.ProcessEnv, cloud: CloudName): AutomationSettings {
  const parsed = automationSettingsSchema.safeParse(env);
  if (!parsed.success)
    throw settingsError(
      problemsOf(parsed.error.issues, env),
      'Invalid settings for REMEDIATION_METHOD=runbook',
    );
  const settings = parsed.data;
  return {
    subscriptionId: settings.AUTOMATION_SUBSCRIPTION_ID.toLowerCase(),
    resourceGroup: settings.AUTOMATION_RESOURCE_GROUP,
    account: settings.AUTOMATION_ACCOUNT,
    runbook: settings.AUTOMATION_RUNBOOK,
    armEndpoint: settings.ARM_ENDPOINT ?? ARM_ENDPOINTS[cloud],
    armAudience: ARM_ENDPOINTS[cloud],
    graphEnvironment: GRAPH_ENVIRONMENTS[cloud],
  };
}

function isHttpsOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      url.protocol === 'https:' &&
      (url.pathname === '/' || url.pathname === '') &&
      !url.search &&
      !url.username &&
      !url.password
    );
  } catch {
    return false;
  }
}
