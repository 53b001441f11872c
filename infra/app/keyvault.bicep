// Key Vault for the ticket system's secret. RBAC mode: the Function identity may read secrets
// (Key Vault Secrets User), nothing else; the operator may set them (Key Vault Secrets Officer).
// App settings point at the secret with @Microsoft.KeyVault(SecretUri=...) (appsettings.bicep), and the
// app reads tenants' webhook URLs from it by name at ticket time (KEY_VAULT_URI, issue 15): the same
// Key Vault Secrets User role covers both.
param name string
param location string
param tags object
param secretReaderPrincipalId string
param operatorPrincipalId string = ''
@description('Name of the secret for the chosen ticket system; empty: no ticket system.')
param ticketSecretName string = ''
@secure()
@description('Its value; empty: leave whatever is in the vault.')
param ticketSecret string = ''
@description('Enabled, or Disabled when main.bicep privateNetworking is on (reached only through private endpoints).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'key-vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    // Soft delete plus purge protection: a deleted vault (and the ticket secret in it) can be recovered for
    // softDeleteRetentionInDays and purged by nobody, not even an Owner, before that. Purge protection cannot
    // be switched off again once on; `azd down --purge` then leaves the vault soft-deleted until the
    // retention ends (docs/DEPLOY.md "The undo").
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    roleAssignments: concat(
      [
        {
          principalId: secretReaderPrincipalId
          principalType: 'ServicePrincipal'
          roleDefinitionIdOrName: keyVaultSecretsUser
        }
      ],
      empty(operatorPrincipalId)
        ? []
        : [
            {
              principalId: operatorPrincipalId
              roleDefinitionIdOrName: keyVaultSecretsOfficer
            }
          ]
    )
  }
}

resource vaultRef 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: name
}

resource ticketSecretResource 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(ticketSecretName) && !empty(ticketSecret)) {
  parent: vaultRef
  name: empty(ticketSecretName) ? 'unused' : ticketSecretName
  properties: {
    value: ticketSecret
    contentType: 'sspr-remediator ticket system secret'
  }
  dependsOn: [
    vault
  ]
}

output name string = vault.outputs.name
output resourceId string = vault.outputs.resourceId
output uri string = vault.outputs.uri
