// Private endpoints (main.bicep `privateNetworking`): storage blob, queue and table, and Key Vault, each in the
// endpoint subnet of network.bicep and registered in its private DNS zone, so the Function App (VNet-integrated)
// reaches them with public network access switched off on both.
// The Automation account gets no endpoint: the app starts and reads jobs through Resource Manager, and the
// runbook runs in Automation's own sandbox; an Automation private endpoint serves webhooks, hybrid workers and
// State Configuration, none of which this deployment uses. Its public network access is switched off all the same.
param location string
param tags object
param namePrefix string
param endpointSubnetId string
param storageAccountId string
param keyVaultId string
param blobZoneId string
param queueZoneId string
param tableZoneId string
param vaultZoneId string

var endpoints = [
  {
    key: 'blob'
    target: storageAccountId
    groupId: 'blob'
    zoneId: blobZoneId
  }
  {
    key: 'queue'
    target: storageAccountId
    groupId: 'queue'
    zoneId: queueZoneId
  }
  {
    key: 'table'
    target: storageAccountId
    groupId: 'table'
    zoneId: tableZoneId
  }
  {
    key: 'vault'
    target: keyVaultId
    groupId: 'vault'
    zoneId: vaultZoneId
  }
]

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for e in endpoints: {
    name: '${namePrefix}-${e.key}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: endpointSubnetId
      }
      privateLinkServiceConnections: [
        {
          name: '${namePrefix}-${e.key}'
          properties: {
            privateLinkServiceId: e.target
            groupIds: [
              e.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (e, i) in endpoints: {
    parent: endpoint[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: e.key
          properties: {
            privateDnsZoneId: e.zoneId
          }
        }
      ]
    }
  }
]

output names array = [for (e, i) in endpoints: endpoint[i].name]
