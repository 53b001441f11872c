// Azure Automation account for the fix (REMEDIATION_METHOD=runbook): its own system-assigned identity
// (granted Graph Policy.ReadWrite.Authorization by infra/scripts/grant-graph-permissions.sh), the
// PowerShell 7.2 runtime with the two Microsoft Graph modules Enable-AdminSspr.ps1 uses, and the runbook
// resource. Bicep cannot inline runbook content: infra/scripts/publish-runbook.sh uploads and publishes
// infra/runbooks/Enable-AdminSspr.ps1 after every provision (azure.yaml postprovision).
param name string
param location string
param tags object
@description('Must equal the .ps1 file name under infra/runbooks and the app\'s AUTOMATION_RUNBOOK.')
param runbookName string = 'Enable-AdminSspr'
@description('Microsoft.Graph PowerShell module version (both modules must match).')
param graphModuleVersion string
@description('The Function App\'s identity, granted Automation Job Operator on this account only. Empty: no grant.')
param jobOperatorPrincipalId string = ''
param logAnalyticsWorkspaceId string = ''
@description('Enabled, or Disabled when main.bicep privateNetworking is on (webhooks and hybrid workers, which this deployment does not use; jobs are started through Resource Manager).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

var automationJobOperator = '4fe576fe-1146-4730-92eb-48519fa6bf9f'
var galleryPackages = 'https://www.powershellgallery.com/api/v2/package'

module account 'br/public:avm/res/automation/automation-account:0.19.2' = {
  name: 'automation-account'
  params: {
    name: name
    location: location
    tags: tags
    skuName: 'Basic'
    managedIdentities: {
      systemAssigned: true
    }
    disableLocalAuth: true
    publicNetworkAccess: publicNetworkAccess
    // Connect-MgGraph lives here; Microsoft.Graph.Identity.SignIns depends on it and is imported after it (below).
    powershell72Modules: [
      {
        name: 'Microsoft.Graph.Authentication'
        uri: galleryPackages
        version: graphModuleVersion
      }
    ]
    runbooks: [
      {
        name: runbookName
        type: 'PowerShell72'
        description: 'sspr-remediator: switches on self-service password reset for administrators (allowedToUseSSPR) with the account\'s managed identity. Content published by infra/scripts/publish-runbook.sh.'
      }
    ]
    roleAssignments: empty(jobOperatorPrincipalId)
      ? []
      : [
          {
            principalId: jobOperatorPrincipalId
            principalType: 'ServicePrincipal'
            roleDefinitionIdOrName: automationJobOperator
          }
        ]
    diagnosticSettings: empty(logAnalyticsWorkspaceId)
      ? []
      : [
          {
            workspaceResourceId: logAnalyticsWorkspaceId
            logCategoriesAndGroups: [
              { category: 'JobLogs' }
              { category: 'JobStreams' }
            ]
            metricCategories: []
          }
        ]
  }
}

resource accountRef 'Microsoft.Automation/automationAccounts@2023-11-01' existing = {
  name: name
}

// Get-MgPolicyAuthorizationPolicy / Update-MgPolicyAuthorizationPolicy. Imported only once
// Microsoft.Graph.Authentication is there: a module whose dependency is missing fails to import.
resource signInsModule 'Microsoft.Automation/automationAccounts/powerShell72Modules@2023-11-01' = {
  parent: accountRef
  name: 'Microsoft.Graph.Identity.SignIns'
  location: location
  tags: tags
  properties: {
    contentLink: {
      uri: '${galleryPackages}/Microsoft.Graph.Identity.SignIns/${graphModuleVersion}'
      version: graphModuleVersion
    }
  }
  dependsOn: [
    account
  ]
}

output name string = account.outputs.name
output resourceId string = account.outputs.resourceId
output runbookName string = runbookName
output principalId string = account.outputs.?systemAssignedMIPrincipalId ?? ''
output modules array = [
  'Microsoft.Graph.Authentication'
  signInsModule.name
]
