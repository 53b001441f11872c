// The user-assigned managed identity the Function App scans other tenants with (issue 15): a managed
// identity signs in only to its own tenant, but a multi-tenant app registration can trust its token
// as a federated identity credential (Microsoft documents this for user-assigned identities only).
// The app reads its client id from FLEET_MANAGED_IDENTITY_CLIENT_ID; everything else (storage,
// Key Vault, Automation) keeps using the system-assigned identity.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
