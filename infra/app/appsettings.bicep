// Every app setting the deployment sets, in one place. test/infra/settings.test.ts reads the object
// literals below (hostSettings, appSettings, ticketSettingsBySystem) and holds them to the settings the
// code reads; settings left to their defaults are listed in docs/DEPLOY.md ("Settings the deployment
// does not set"). Values are strings: `string(true)` would give 'True', which the app refuses.
// Settings someone added by hand are kept (merged under these), so an operator's override survives
// `azd provision`; a setting removed here must be removed by hand.
param functionAppName string
param storageAccountName string
param applicationInsightsName string
@description('Key Vault URI, with its trailing slash.')
param keyVaultUri string
param cloud string
param graphEndpoint string
param armEndpoint string
param tenants string
param scanSchedule string
param actionMode string
param remediationMethod string
param ticketSystem string
param ticketUrl string
param ticketProject string
param ticketUser string
param ticketSecretName string
@description('A webhook secret was given: send X-Signature-256 (the secret is optional for webhooks only).')
param webhookSigned bool
param allowRevertingHardening bool
param piiMode string
@description('API_AUDIENCE and API_TENANT_ID: who may approve over HTTP; empty turns approvals over HTTP off.')
param apiAudience string
param apiTenantId string
param automationAccountName string
param automationRunbookName string
@description('FLEET_CLIENT_ID: the multi-tenant app registration scanned tenants sign in as; empty: each tenant with the default credential.')
param fleetClientId string
@description('Client id of the user-assigned identity the app registration trusts (federated identity credential).')
param fleetIdentityClientId string
@description('Keep settings added by hand (true), or make this list the whole truth (false).')
param keepUnmanagedSettings bool = true

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var endpoints = storage.properties.primaryEndpoints
// The app builds table/blob clients from this URL with the managed identity; no trailing slash.
var tableEndpoint = endsWith(endpoints.table, '/') ? substring(endpoints.table, 0, length(endpoints.table) - 1) : endpoints.table
var ticketSecretReference = '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${ticketSecretName}/)'

// Read by the Functions host (and, for the queue URI, by the app's scan queue), not by src/config.ts.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__blobServiceUri: endpoints.blob
  AzureWebJobsStorage__queueServiceUri: endpoints.queue
  AzureWebJobsStorage__tableServiceUri: endpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  // The host authenticates to Application Insights with the system-assigned identity (local auth is off).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

var appSettings = {
  AZURE_CLOUD: cloud
  GRAPH_ENDPOINT: graphEndpoint
  TENANTS: tenants
  SCAN_SCHEDULE: scanSchedule
  STATE_STORAGE: tableEndpoint
  ACTION_MODE: actionMode
  REMEDIATION_METHOD: remediationMethod
  TICKET_SYSTEM: ticketSystem
  ALLOW_REVERTING_HARDENING: allowRevertingHardening ? 'true' : 'false'
  PII_MODE: piiMode
  API_AUDIENCE: apiAudience
  API_TENANT_ID: apiTenantId
  AUTOMATION_SUBSCRIPTION_ID: subscription().subscriptionId
  AUTOMATION_RESOURCE_GROUP: resourceGroup().name
  AUTOMATION_ACCOUNT: automationAccountName
  AUTOMATION_RUNBOOK: automationRunbookName
  ARM_ENDPOINT: armEndpoint
  // Issue 15: tenants' webhook URLs are secrets in this vault, read by name at ticket time.
  KEY_VAULT_URI: keyVaultUri
  // Issue 15: every scanned tenant signs in as the app registration, by the user-assigned identity's
  // token (FLEET_CREDENTIAL defaults to managed-identity). The identity alone would be refused without it.
  FLEET_CLIENT_ID: fleetClientId
  FLEET_MANAGED_IDENTITY_CLIENT_ID: empty(fleetClientId) ? '' : fleetIdentityClientId
}

// Only the chosen system's settings are set; secrets are Key Vault references.
var ticketSettingsBySystem = {
  servicenow: {
    SERVICENOW_INSTANCE_URL: ticketUrl
    SERVICENOW_USERNAME: ticketUser
    SERVICENOW_PASSWORD: ticketSecretReference
  }
  jira: {
    JIRA_BASE_URL: ticketUrl
    JIRA_EMAIL: ticketUser
    JIRA_PROJECT_KEY: ticketProject
    JIRA_API_TOKEN: ticketSecretReference
  }
  azuredevops: {
    AZURE_DEVOPS_ORG_URL: ticketUrl
    AZURE_DEVOPS_PROJECT: ticketProject
    AZURE_DEVOPS_PAT: ticketSecretReference
  }
  github: union(
    {
      GITHUB_REPOSITORY: ticketProject
      GITHUB_TOKEN: ticketSecretReference
    },
    empty(ticketUrl) ? {} : { GITHUB_API_URL: ticketUrl }
  )
  webhook: union(
    {
      TICKET_WEBHOOK_URL: ticketUrl
    },
    webhookSigned ? { TICKET_WEBHOOK_SECRET: ticketSecretReference } : {}
  )
}
var ticketSettings = ticketSettingsBySystem[?ticketSystem] ?? {}

// Read here, written by a nested deployment: a template that reads and writes the same config in one
// deployment would depend on itself. The merged settings travel as a secure parameter (not logged).
var currentSettings = keepUnmanagedSettings ? list('${site.id}/config/appsettings', '2023-12-01').properties : {}

module write 'appsettings-write.bicep' = {
  name: 'appsettings-write'
  params: {
    functionAppName: site.name
    settings: union(currentSettings, hostSettings, appSettings, ticketSettings)
  }
}

output names array = objectKeys(union(hostSettings, appSettings, ticketSettings))
