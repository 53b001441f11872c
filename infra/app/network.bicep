// Opt-in private networking (main.bicep `privateNetworking`, default false): a virtual network with one subnet
// for the Function App's outbound VNet integration (Flex Consumption: delegated to Microsoft.App/environments)
// and one for private endpoints, and the private DNS zones those endpoints register in, linked to the network.
// The endpoints themselves are in private-endpoints.bicep (they need the storage account and the vault, whose
// role assignments need the app, whose VNet integration needs this subnet: two modules keep that acyclic).
param name string
param location string
param tags object
@description('Address space of the virtual network (only this deployment uses it; pick one that does not overlap networks you peer it with).')
param addressPrefix string = '10.80.0.0/24'
param appSubnetPrefix string = '10.80.0.0/26'
param endpointSubnetPrefix string = '10.80.0.64/27'

// Storage (blob, queue, table: the host, the scan queue, state) and Key Vault, in this cloud's DNS suffixes
// (Key Vault's private zone is privatelink.vaultcore.<suffix>, not .vault.). Indexes 0-3 are used below.
var zoneNames = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'snet-app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }

  resource appSubnet 'subnets' existing = {
    name: 'snet-app'
  }

  resource endpointSubnet 'subnets' existing = {
    name: 'snet-endpoints'
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in zoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in zoneNames: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

output appSubnetId string = vnet::appSubnet.id
output endpointSubnetId string = vnet::endpointSubnet.id
output blobZoneId string = zones[0].id
output queueZoneId string = zones[1].id
output tableZoneId string = zones[2].id
output vaultZoneId string = zones[3].id
