/**
 * Endpoints per national cloud (DESIGN.md §2). Every one can be overridden by a setting. `keyVault` is
 * the resource Key Vault tokens are asked for (`{keyVault}/.default`), never KEY_VAULT_URI's origin.
 */
export const CLOUDS = {
  AzurePublic: {
    graph: 'https://graph.microsoft.com',
    login: 'https://login.microsoftonline.com',
    keyVault: 'https://vault.azure.net',
  },
  AzureUSGovernment: {
    graph: 'https://graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
    keyVault: 'https://vault.usgovcloudapi.net',
  },
  AzureUSGovernmentDoD: {
    graph: 'https://dod-graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
    keyVault: 'https://vault.usgovcloudapi.net',
  },
  AzureChina: {
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    login: 'https://login.chinacloudapi.cn',
    keyVault: 'https://vault.azure.cn',
  },
} as const;
export type CloudName = keyof typeof CLOUDS;
