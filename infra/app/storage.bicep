// The app's storage account: AzureWebJobsStorage (host, timer, queue trigger), the Flex Consumption
// deployment package, and the app's state. Reached only with Entra identities: shared keys are off.
// The containers, queues and tables are the ones the code names (test/infra/templates.test.ts checks them);
// the app would create them on first use, created here they exist before the first scan.
param name string
param location string
param tags object
param deploymentContainerName string
@description('Enabled, or Disabled when main.bicep privateNetworking is on (reached only through private endpoints).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage-account'
  params: {
    name: name
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    kind: 'StorageV2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // no keys: identity-based access only
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Disabled' ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        { name: deploymentContainerName }
        { name: 'sspr-leases' } // src/adapters/storage/tenantLease.ts: one lock blob per tenant
      ]
    }
    queueServices: {
      queues: [
        { name: 'sspr-scans' } // src/app/functionsSettings.ts SCAN_QUEUE
        { name: 'sspr-scans-poison' } // where the host moves a message after maxDequeueCount tries
      ]
    }
    tableServices: {
      tables: [
        { name: 'ssprCheckpoints' }
        { name: 'ssprIncidents' }
        { name: 'ssprEvents' }
        { name: 'ssprActions' }
        { name: 'ssprScans' }
      ]
    }
  }
}

output name string = storage.outputs.name
output resourceId string = storage.outputs.resourceId
