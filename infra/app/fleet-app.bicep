// The multi-tenant app registration every scanned tenant signs in as (FLEET_CLIENT_ID, issue 15),
// with the Microsoft Graph Bicep extension (infra/bicepconfig.json). Deployed only with
// fleetAppRegistration=true: the deploying user needs Application.ReadWrite.All (or to own the app).
// Without the extension, infra/scripts/fleet-app-registration.sh does the same with az.
//
// - signInAudience AzureADMultipleOrgs: any organization's administrator can consent to it.
// - requiredResourceAccess: the Function identity's Graph permissions, from infra/graph-permissions.json
//   (the same list grant-graph-permissions.sh grants in the home tenant), so a customer's admin consent
//   grants exactly these. test/infra/fleetIdentity.test.ts holds the two together.
// - federatedIdentityCredentials: trusts the user-assigned identity's token (issuer = the home tenant's
//   sign-in authority, subject = the identity's object id, audience = the cloud's token exchange): no
//   secret or certificate exists to leak or expire.
extension microsoftGraphV1

param uniqueName string
param displayName string
@description('Sign-in host of the cloud, e.g. https://login.microsoftonline.com.')
param loginHost string
@description('api://AzureADTokenExchange, or the national cloud\'s token-exchange audience.')
param tokenExchangeAudience string
@description('Object (principal) id of the user-assigned managed identity the app trusts.')
param managedIdentityPrincipalId string
param actionMode string
param remediationMethod string

var permissions = loadJsonContent('../graph-permissions.json')
var context = {
  actionMode: actionMode
  remediationMethod: remediationMethod
}
// The function identity's grants whose condition holds now (as grant-graph-permissions.sh decides).
var grants = filter(
  permissions.grants,
  grant =>
    grant.identity == 'function' && (!contains(grant, 'when') || (contains(grant.when.actionMode, context.actionMode) && contains(grant.when.remediationMethod, context.remediationMethod)))
)

// Microsoft Graph's service principal, for the ids of its application permissions (app roles).
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: permissions.resourceAppId
}

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMultipleOrgs'
  requiredResourceAccess: [
    {
      resourceAppId: permissions.resourceAppId
      resourceAccess: [
        for grant in grants: {
          id: filter(graph.appRoles, role => role.value == grant.permission)[0].id
          type: 'Role'
        }
      ]
    }
  ]

  resource federated 'federatedIdentityCredentials@v1.0' = {
    name: '${app.uniqueName}/function-managed-identity'
    description: 'The Function App\'s user-assigned managed identity (FLEET_MANAGED_IDENTITY_CLIENT_ID).'
    issuer: '${loginHost}/${tenant().tenantId}/v2.0'
    subject: managedIdentityPrincipalId
    audiences: [
      tokenExchangeAudience
    ]
  }
}

output clientId string = app.appId
