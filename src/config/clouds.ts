/** Endpoints per national cloud (DESIGN.md §2). Every one can be overridden by a setting. */
export const CLOUDS = {
  AzurePublic: { graph: 'https://graph.microsoft.com', login: 'https://login.microsoftonline.com' },
  AzureUSGovernment: { graph: 'https://graph.microsoft.us', login: 'https://login.microsoftonline.us' },
  AzureUSGovernmentDoD: {
    graph: 'https://dod-graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
  },
  AzureChina: { graph: 'https://microsoftgraph.chinacloudapi.cn', login: 'https://login.chinacloudapi.cn' },
} as const;
export type CloudName = keyof typeof CLOUDS;
