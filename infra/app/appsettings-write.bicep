// Writes the Function App's app settings (the whole set: appsettings.bicep merges in the ones added by hand).
param functionAppName string
@secure()
@description('Every app setting, name to string value. Secure: the values (connection string, Key Vault references, operator settings) stay out of the deployment history.')
param settings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: settings
}
