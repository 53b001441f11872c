// The Functions app: Flex Consumption (FC1), Linux, Node 22, with a system-assigned managed identity
// and the user-assigned one it signs in to other tenants with (app/fleet-identity.bicep).
// App settings are applied by appsettings.bicep once the identity holds its roles.
param name string
param planName string
param location string
param tags object
param storageAccountName string
param deploymentContainerName string
param instanceMemoryMB int = 2048
@minValue(40)
@description('Flex Consumption scale limit (40 is the lowest the plan accepts). Scans of one tenant never overlap anyway (tenant lease).')
param maximumInstanceCount int = 40
@description('User-assigned managed identity for scanning other tenants (FLEET_MANAGED_IDENTITY_CLIENT_ID); the system-assigned one stays for everything else.')
param fleetIdentityResourceId string
@description('Subnet for outbound VNet integration (delegated to Microsoft.App/environments, as Flex Consumption requires). Empty: no VNet integration.')
param virtualNetworkSubnetId string = ''

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'flex-consumption-plan'
  params: {
    name: planName
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'function-app'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    // No FTP and no basic-auth (user name + password) publishing to the SCM site: deployments authenticate
    // with Entra ID (azd, the GitHub workflow's OIDC login), so a leaked publish profile deploys nothing.
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    managedIdentities: {
      systemAssigned: true
      userAssignedResourceIds: [
        fleetIdentityResourceId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

output name string = site.outputs.name
output resourceId string = site.outputs.resourceId
output principalId string = site.outputs.?systemAssignedMIPrincipalId ?? ''
