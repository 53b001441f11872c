import { join } from 'node:path';
import { ADO_EMULATOR_PAT } from '../../emulator/tickets/azureDevOpsRoutes';
import { GITHUB_EMULATOR_TOKEN } from '../../emulator/tickets/githubRoutes';
import { JIRA_EMULATOR_API_TOKEN } from '../../emulator/tickets/jiraRoutes';
import { SERVICENOW_EMULATOR_PASSWORD } from '../../emulator/tickets/servicenowRoutes';
import { packageRoot } from './packageRoot';

export interface EmulatorEndpoints {
  graphUrl: string;
  tokenEndpoint: string;
  identityHeader: string;
  caCertPath: string;
}

/** The emulator's fake ticket systems and Automation account, as an operator would configure real ones. */
export interface EmulatorActionEndpoints {
  ticketsUrl: string;
  armUrl: string;
}

export type TicketSystem = 'servicenow' | 'jira' | 'azuredevops' | 'github' | 'webhook';

/** Settings that point each ticket system and the Automation account at the emulator's fakes. */
export function emulatorActionEnv(
  emulator: EmulatorActionEndpoints,
  system: TicketSystem,
): Record<string, string> {
  const tickets: Record<TicketSystem, Record<string, string>> = {
    servicenow: {
      SERVICENOW_INSTANCE_URL: `${emulator.ticketsUrl}/servicenow`,
      SERVICENOW_USERNAME: 'sspr',
      SERVICENOW_PASSWORD: SERVICENOW_EMULATOR_PASSWORD,
    },
    jira: {
      JIRA_BASE_URL: `${emulator.ticketsUrl}/jira`,
      JIRA_EMAIL: 'sspr@contoso.com',
      JIRA_API_TOKEN: JIRA_EMULATOR_API_TOKEN,
      JIRA_PROJECT_KEY: 'SSPR',
    },
    azuredevops: {
      AZURE_DEVOPS_ORG_URL: `${emulator.ticketsUrl}/ado/contoso`,
      AZURE_DEVOPS_PROJECT: 'Identity',
      AZURE_DEVOPS_PAT: ADO_EMULATOR_PAT,
    },
    github: {
      GITHUB_API_URL: `${emulator.ticketsUrl}/github`,
      GITHUB_REPOSITORY: 'contoso/identity-ops',
      GITHUB_TOKEN: GITHUB_EMULATOR_TOKEN,
    },
    webhook: { TICKET_WEBHOOK_URL: `${emulator.ticketsUrl}/webhook/sspr` },
  };
  return {
    TICKET_SYSTEM: system,
    ...tickets[system],
    // The emulator's Automation account (scenario defaults).
    AUTOMATION_SUBSCRIPTION_ID: '00000000-0000-4000-8000-00000000a001',
    AUTOMATION_RESOURCE_GROUP: 'rg-sspr',
    AUTOMATION_ACCOUNT: 'aa-sspr',
    ARM_ENDPOINT: emulator.armUrl,
  };
}

/**
 * The environment for a CLI process that talks to the emulator exactly as it would to Azure:
 * managed-identity token endpoint, GRAPH_ENDPOINT over https, the emulator's CA trusted at start-up.
 * Ambient Azure credentials are dropped so nothing on this machine can reach a real tenant.
 */
export function emulatorEnv(
  emulator: EmulatorEndpoints,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^(AZURE_|FLEET_|MSI_|IDENTITY_|IMDS_|GRAPH_|STATE_|SCAN_|TENANT_ID|SSPR_|AUDIT_|PII_|ACTION_|REMEDIATION_|TICKET_|SERVICENOW_|JIRA_|GITHUB_|AUTOMATION_|ARM_|ALLOW_|VERIFY_|KEY_VAULT_)/.test(
        key,
      )
    )
      env[key] = value;
  }
  Object.assign(env, {
    GRAPH_ENDPOINT: emulator.graphUrl,
    IDENTITY_ENDPOINT: emulator.tokenEndpoint,
    IDENTITY_HEADER: emulator.identityHeader,
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** The emulated multi-tenant app's credentials (RunningEmulator's `fleet`), as far as the settings need them. */
export interface EmulatedFleetApp {
  loginUrl: string;
  fleet?: {
    clientId: string;
    clientSecret: string;
    certificatePath: string;
    managedIdentityClientId: string;
  };
}

/**
 * The settings that make every scanned tenant sign in as the emulator's multi-tenant app, with one of its
 * three credentials, against the emulated sign-in host (AZURE_AUTHORITY_HOST), as they would in Azure.
 */
export function fleetSignInEnv(
  emulator: EmulatedFleetApp,
  kind: 'managed-identity' | 'certificate' | 'secret',
): Record<string, string> {
  const fleet = emulator.fleet;
  if (!fleet) throw new Error('fleetSignInEnv: start the emulator with a fleet');
  const credential: Record<string, Record<string, string>> = {
    'managed-identity': { FLEET_MANAGED_IDENTITY_CLIENT_ID: fleet.managedIdentityClientId },
    certificate: { FLEET_CLIENT_CERTIFICATE_PATH: fleet.certificatePath },
    secret: { FLEET_CLIENT_SECRET: fleet.clientSecret },
  };
  return {
    AZURE_AUTHORITY_HOST: emulator.loginUrl,
    FLEET_CLIENT_ID: fleet.clientId,
    FLEET_CREDENTIAL: kind,
    ...credential[kind],
  };
}

export function cliPath(): string {
  return join(packageRoot(), 'bin', 'sspr-remediator.js');
}
