// sspr-remediator: one `azd up` deploys the Functions app, its storage, monitoring, the Automation
// runbook, Key Vault for ticket secrets, the workbook and the alerts. docs/DEPLOY.md is the guide.
// Graph application permissions are not Azure RBAC: infra/scripts/grant-graph-permissions.sh grants
// them after provisioning (azure.yaml `postprovision`), from infra/graph-permissions.json.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Parameters (azd fills them from main.parameters.json; `azd env set NAME value` changes one)
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations.')
@metadata({ azd: { type: 'location' } })
param location string

@description('National cloud: picks the Microsoft Graph and Resource Manager endpoints of the app and the runbook (DESIGN.md §2). Deploy with the Azure CLI / azd signed in to the same cloud.')
@allowed([
  'AzurePublic'
  'AzureUSGovernment'
  'AzureUSGovernmentDoD'
  'AzureChina'
])
param cloud string = 'AzurePublic'

@description('ACTION_MODE: report (default, changes nothing outside our own state), ticket, remediate or approve.')
@allowed([
  'report'
  'ticket'
  'remediate'
  'approve'
])
param actionMode string = 'report'

@description('REMEDIATION_METHOD: runbook (Azure Automation, default) or graph (direct PATCH from the app; then the app itself holds Policy.ReadWrite.Authorization).')
@allowed([
  'runbook'
  'graph'
])
param remediationMethod string = 'runbook'

@description('TICKET_SYSTEM; required by ticket, remediate and approve. Empty: none.')
@allowed([
  ''
  'servicenow'
  'jira'
  'azuredevops'
  'github'
  'webhook'
])
param ticketSystem string = ''

@description('The ticket system\'s URL: ServiceNow instance URL, Jira base URL, Azure DevOps organization URL, GitHub API URL (optional, GitHub Enterprise only) or the webhook URL.')
param ticketUrl string = ''

@description('Jira project key, Azure DevOps project, or GitHub owner/repo.')
param ticketProject string = ''

@description('ServiceNow user name or Jira e-mail address.')
param ticketUser string = ''

@secure()
@description('The ticket system\'s secret (ServiceNow password, Jira API token, Azure DevOps PAT, GitHub token, webhook signing secret). Stored in Key Vault; the app reads it through a Key Vault reference. Empty: leave the secret in Key Vault as it is.')
param ticketSecret string = ''

@description('TENANTS: comma-separated directory (tenant) ids to scan. Empty: the tenant of this subscription. A managed identity can only sign in to its own tenant.')
param tenants string = ''

@description('SCAN_SCHEDULE: six-field NCRONTAB for the timer scan.')
param scanSchedule string = '0 */15 * * * *'

@minValue(1)
@maxValue(1440)
@description('Minutes between two scheduled scans (must agree with scanSchedule). The "no successful scan" alert fires after twice this.')
param scanIntervalMinutes int = 15

@description('ALLOW_REVERTING_HARDENING: let remediate switch admin SSPR back on even when the audit log shows someone switched it off on purpose.')
param allowRevertingHardening bool = false

@description('PII_MODE: plain or hash (UPNs hashed in logs and telemetry).')
@allowed([
  'plain'
  'hash'
])
param piiMode string = 'plain'

@description('API_AUDIENCE: client id of the API app registration whose Incidents.Approve role may approve fixes over HTTP (docs/DEPLOY.md, "Calling the API"). Empty: approvals over HTTP are off; the CLI still approves.')
param apiAudience string = ''

@description('API_TENANT_ID: tenant of that app registration; empty means the one tenant of TENANTS.')
param apiTenantId string = ''

@description('Resource id of an existing action group the alerts notify. Empty: a new one is created when alertEmail is set; otherwise the alerts fire without notifying anyone.')
param actionGroupId string = ''

@description('E-mail address for a new action group (used only when actionGroupId is empty).')
param alertEmail string = ''

@description('Object id of the person (or pipeline) who operates the deployment: gets Table/Blob data access (CLI approvals, incidents) and Key Vault Secrets Officer. Empty: nobody.')
param operatorPrincipalId string = ''

@description('Version of the Microsoft.Graph.Authentication and Microsoft.Graph.Identity.SignIns PowerShell modules in the Automation account (PowerShell 7.2 runtime).')
param graphModuleVersion string = '2.25.0'

@description('Opt-in private networking: a virtual network, the Function App\'s outbound VNet integration, private endpoints (and private DNS) for storage and Key Vault, and public network access switched off on storage, Key Vault and the Automation account. Off (default): nothing of this is deployed. docs/DEPLOY.md "Private networking" says what changes for operators.')
param privateNetworking bool = false

@description('Create the multi-tenant app registration (FLEET_CLIENT_ID) with the Microsoft Graph Bicep extension: scanned tenants then sign in as it, with the user-assigned identity as its federated credential. Needs Application.ReadWrite.All for the deploying user; otherwise run infra/scripts/fleet-app-registration.sh and set fleetClientId.')
param fleetAppRegistration bool = false

@description('FLEET_CLIENT_ID of an app registration made outside this deployment (infra/scripts/fleet-app-registration.sh). Ignored when fleetAppRegistration is true.')
param fleetClientId string = ''

@description('Application Insights rejects local (instrumentation key) authentication; telemetry must be sent with an Entra token.')
param appInsightsDisableLocalAuth bool = true

// ---------------------------------------------------------------------------------------------
// Names and per-cloud endpoints
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  product: 'sspr-remediator'
}
var functionAppName = 'func-sspr-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var automationAccountName = 'aa-sspr-${resourceToken}'
var fleetIdentityName = 'id-sspr-fleet-${resourceToken}'
var runbookName = 'Enable-AdminSspr'

// Endpoints per cloud, as the app knows them (src/config.ts CLOUDS, src/adapters/automation/automationSettings.ts
// ARM_ENDPOINTS and GRAPH_ENVIRONMENTS); test/infra/templates.test.ts holds the two to each other.
var cloudEndpoints = {
  AzurePublic: {
    graph: 'https://graph.microsoft.com'
    login: 'https://login.microsoftonline.com'
    arm: 'https://management.azure.com'
    graphEnvironment: 'Global'
    tokenExchange: 'api://AzureADTokenExchange'
  }
  AzureUSGovernment: {
    graph: 'https://graph.microsoft.us'
    login: 'https://login.microsoftonline.us'
    arm: 'https://management.usgovcloudapi.net'
    graphEnvironment: 'USGov'
    tokenExchange: 'api://AzureADTokenExchangeUSGov'
  }
  AzureUSGovernmentDoD: {
    graph: 'https://dod-graph.microsoft.us'
    login: 'https://login.microsoftonline.us'
    arm: 'https://management.usgovcloudapi.net'
    graphEnvironment: 'USGovDoD'
    tokenExchange: 'api://AzureADTokenExchangeUSGov'
  }
  AzureChina: {
    graph: 'https://microsoftgraph.chinacloudapi.cn'
    login: 'https://login.chinacloudapi.cn'
    arm: 'https://management.chinacloudapi.cn'
    graphEnvironment: 'China'
    tokenExchange: 'api://AzureADTokenExchangeChina'
  }
}
var endpoints = cloudEndpoints[cloud]

// Key Vault secret names per ticket system (Key Vault names allow letters, digits and '-').
var ticketSecretNames = {
  servicenow: 'servicenow-password'
  jira: 'jira-api-token'
  azuredevops: 'azure-devops-pat'
  github: 'github-token'
  webhook: 'ticket-webhook-secret'
}
var ticketSecretName = ticketSecretNames[?ticketSystem] ?? ''

// With privateNetworking, storage, Key Vault and Automation answer only on private endpoints.
var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'

var tenantList = empty(trim(tenants)) ? tenant().tenantId : toLower(replace(tenants, ' ', ''))

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: publicNetworkAccess
  }
}

// Only with privateNetworking: the network, its subnets and private DNS zones (network.bicep), and the private
// endpoints of storage and Key Vault (private-endpoints.bicep). Without it, nothing below changes.
module network 'app/network.bicep' = if (privateNetworking) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
  }
}

module privateEndpoints 'app/private-endpoints.bicep' = if (privateNetworking) {
  name: 'private-endpoints'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'pe-${resourceToken}'
    endpointSubnetId: network!.outputs.endpointSubnetId
    storageAccountId: storage.outputs.resourceId
    keyVaultId: keyVault.outputs.resourceId
    blobZoneId: network!.outputs.blobZoneId
    queueZoneId: network!.outputs.queueZoneId
    tableZoneId: network!.outputs.tableZoneId
    vaultZoneId: network!.outputs.vaultZoneId
  }
}

// Issue 15: the identity other tenants are scanned with, through the app registration that trusts it.
module fleetIdentity 'app/fleet-identity.bicep' = {
  name: 'fleet-identity'
  scope: rg
  params: {
    name: fleetIdentityName
    location: location
    tags: tags
  }
}

module fleetApp 'app/fleet-app.bicep' = if (fleetAppRegistration) {
  name: 'fleet-app'
  scope: rg
  params: {
    uniqueName: 'sspr-remediator-fleet-${resourceToken}'
    displayName: 'sspr-remediator fleet (${environmentName})'
    loginHost: endpoints.login
    tokenExchangeAudience: endpoints.tokenExchange
    managedIdentityPrincipalId: fleetIdentity.outputs.principalId
    actionMode: actionMode
    remediationMethod: remediationMethod
  }
}

var fleetAppClientId = fleetAppRegistration ? fleetApp!.outputs.clientId : fleetClientId

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''
    fleetIdentityResourceId: fleetIdentity.outputs.resourceId
  }
}

// The Function identity's data-plane roles (storage, monitoring) and the operator's; flags as in the quickstart.
module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: api.outputs.principalId
    enableBlob: true // AzureWebJobsStorage, the Flex deployment package, tenant leases (sspr-leases)
    enableQueue: true // the scan queue (sspr-scans) and its trigger
    enableTable: true // state: checkpoints, incidents, events, action journal, scan status
    operatorPrincipalId: operatorPrincipalId
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    secretReaderPrincipalId: api.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    ticketSecretName: ticketSecretName
    ticketSecret: ticketSecret
    publicNetworkAccess: publicNetworkAccess
  }
}

module automation 'app/automation.bicep' = {
  name: 'automation'
  scope: rg
  params: {
    name: automationAccountName
    location: location
    tags: tags
    runbookName: runbookName
    graphModuleVersion: graphModuleVersion
    // Automation Job Operator on this account only, and only when the runbook is the fix.
    jobOperatorPrincipalId: remediationMethod == 'runbook' ? api.outputs.principalId : ''
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    publicNetworkAccess: publicNetworkAccess
  }
}

// Every app setting in one place, applied after the roles exist (so Key Vault references and
// identity-based storage resolve on the first start).
module appSettings 'app/appsettings.bicep' = {
  name: 'appsettings'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultUri: keyVault.outputs.uri
    cloud: cloud
    graphEndpoint: endpoints.graph
    armEndpoint: endpoints.arm
    tenants: tenantList
    scanSchedule: scanSchedule
    actionMode: actionMode
    remediationMethod: remediationMethod
    ticketSystem: ticketSystem
    ticketUrl: ticketUrl
    ticketProject: ticketProject
    ticketUser: ticketUser
    ticketSecretName: ticketSecretName
    webhookSigned: !empty(ticketSecret)
    allowRevertingHardening: allowRevertingHardening
    piiMode: piiMode
    apiAudience: apiAudience
    apiTenantId: apiTenantId
    automationAccountName: automation.outputs.name
    automationRunbookName: automation.outputs.runbookName
    fleetClientId: fleetAppClientId
    fleetIdentityClientId: fleetIdentity.outputs.clientId
  }
  dependsOn: [
    rbac
  ]
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    scanIntervalMinutes: scanIntervalMinutes
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'sspr-${resourceToken}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupId: actionGroupId
    alertEmail: alertEmail
    tenants: tenantList
    scanIntervalMinutes: scanIntervalMinutes
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs: azd stores them in the environment; the postprovision hook reads them.
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CLOUD string = cloud
// The hook grants Graph permissions on this cloud's Graph (az's own default misses US Gov DoD).
output GRAPH_ENDPOINT string = endpoints.graph
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output FUNCTION_PRINCIPAL_ID string = api.outputs.principalId
output AUTOMATION_ACCOUNT string = automation.outputs.name
output AUTOMATION_RUNBOOK string = automation.outputs.runbookName
output RUNBOOK_PRINCIPAL_ID string = automation.outputs.principalId
output FLEET_CLIENT_ID string = fleetAppClientId
output FLEET_MANAGED_IDENTITY_CLIENT_ID string = fleetIdentity.outputs.clientId
output FLEET_MANAGED_IDENTITY_PRINCIPAL_ID string = fleetIdentity.outputs.principalId
output KEY_VAULT_NAME string = keyVault.outputs.name
output TICKET_SECRET_NAME string = ticketSecretName
output ACTION_MODE string = actionMode
output REMEDIATION_METHOD string = remediationMethod
output TENANTS string = tenantList
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output WORKBOOK_ID string = workbook.outputs.id
