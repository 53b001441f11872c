/**
 * Endpoints per national cloud (DESIGN.md §2). Every one can be overridden by a setting. `keyVault` is
 * the resource Key Vault tokens are asked for (`{keyVault}/.default`), never KEY_VAULT_URI's origin.
 * `tokenExchange`: the audience a managed-identity token must carry to be presented as a federated
 * credential (Microsoft's "Configure an application to trust a managed identity": one per cloud).
 */
export const CLOUDS = {
  AzurePublic: {
    graph: 'https://graph.microsoft.com',
    login: 'https://login.microsoftonline.com',
    keyVault: 'https://vault.azure.net',
    tokenExchange: 'api://AzureADTokenExchange',
  },
  AzureUSGovernment: {
    graph: 'https://graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
    keyVault: 'https://vault.usgovcloudapi.net',
    tokenExchange: 'api://AzureADTokenExchangeUSGov',
  },
  AzureUSGovernmentDoD: {
    graph: 'https://dod-graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
    keyVault: 'https://vault.usgovcloudapi.net',
    tokenExchange: 'api://AzureADTokenExchangeUSGov',
  },
  AzureChina: {
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    login: 'https://login.chinacloudapi.cn',
    keyVault: 'https://vault.azure.cn',
    tokenExchange: 'api://AzureADTokenExchangeChina',
  },
} as const;
export type CloudName = keyof typeof CLOUDS;

/**
 * Whether MSAL may look `host` up in Microsoft's instance discovery. Any other sign-in host (the
 * emulator, a test double) must be trusted as given: otherwise MSAL asks login.microsoftonline.com
 * first and fails offline (DESIGN.md §2c).
 */
export function isMicrosoftSignInHost(authorityHost: string): boolean {
  const host = new URL(authorityHost).host.toLowerCase();
  return Object.values(CLOUDS).some((cloud) => new URL(cloud.login).host === host);
}
