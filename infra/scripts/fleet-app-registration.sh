#!/usr/bin/env bash
# Creates (or updates) the multi-tenant app registration every scanned tenant signs in as
# (FLEET_CLIENT_ID, issue 15), for those who cannot deploy it with the Microsoft Graph Bicep extension
# (fleetAppRegistration=true in infra/main.bicep does the same):
#   - signInAudience AzureADMultipleOrgs, so each customer tenant's administrator can consent to it;
#   - the Function identity's Graph application permissions from infra/graph-permissions.json, so that
#     consent grants exactly what a scan needs (conditional ones only when ACTION_MODE/REMEDIATION_METHOD
#     need them, as grant-graph-permissions.sh decides);
#   - a federated identity credential trusting the Function App's user-assigned managed identity:
#     issuer {login host}/{home tenant}/v2.0, subject = the identity's object id, audience = the cloud's
#     token exchange (api://AzureADTokenExchange). No secret exists.
# Idempotent: an app with the same display name is reused, the credential replaced by name.
#
# Needs: FLEET_MANAGED_IDENTITY_PRINCIPAL_ID (output of infra/main.bicep), ACTION_MODE and
# REMEDIATION_METHOD (same); optionally FLEET_APP_NAME (default sspr-remediator-fleet), LOGIN_HOST and
# TOKEN_EXCHANGE_AUDIENCE (default: those of the cloud `az` is signed in to), HOME_TENANT_ID (default:
# az's), GRAPH_PERMISSIONS_FILE, DRY_RUN=true (print the plan, change nothing, call no az).
# Who may run it: anyone allowed to register applications (Application Developer, or
# Application.ReadWrite.OwnedBy for an app it owns). Then:
#   azd env set FLEET_CLIENT_ID <printed client id> && azd provision
# and have each customer tenant's administrator open the admin-consent URL it prints (README.md,
# "Identity across tenants").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="${GRAPH_PERMISSIONS_FILE:-$here/../graph-permissions.json}"
action_mode="${ACTION_MODE:-report}"
method="${REMEDIATION_METHOD:-runbook}"
dry_run="${DRY_RUN:-false}"
name="${FLEET_APP_NAME:-sspr-remediator-fleet}"
subject="${FLEET_MANAGED_IDENTITY_PRINCIPAL_ID:?set FLEET_MANAGED_IDENTITY_PRINCIPAL_ID (an output of infra/main.bicep: azd env get-values)}"

if [[ "$dry_run" == "true" ]]; then
  login="${LOGIN_HOST:?DRY_RUN needs LOGIN_HOST}"
  tenant="${HOME_TENANT_ID:?DRY_RUN needs HOME_TENANT_ID}"
else
  login="${LOGIN_HOST:-$(az cloud show --query endpoints.activeDirectory --output tsv)}"
  tenant="${HOME_TENANT_ID:-$(az account show --query tenantId --output tsv)}"
fi
login="${login%/}"
case "$login" in
  *login.microsoftonline.us) default_audience="api://AzureADTokenExchangeUSGov" ;;
  *login.chinacloudapi.cn) default_audience="api://AzureADTokenExchangeChina" ;;
  *) default_audience="api://AzureADTokenExchange" ;;
esac
audience="${TOKEN_EXCHANGE_AUDIENCE:-$default_audience}"

# The Function identity's permissions whose condition holds, one a line (as grant-graph-permissions.sh decides).
permissions="$(node -e '
  const manifest = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const context = { actionMode: process.argv[2], remediationMethod: process.argv[3] };
  for (const grant of manifest.grants) {
    const wanted = Object.entries(grant.when ?? {}).every(([key, values]) => values.includes(context[key]));
    if (grant.identity === "function" && wanted) console.log(grant.permission);
  }
' "$manifest" "$action_mode" "$method")"
graph_app_id="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).resourceAppId)' "$manifest")"
credential="{\"name\":\"function-managed-identity\",\"issuer\":\"$login/$tenant/v2.0\",\"subject\":\"$subject\",\"audiences\":[\"$audience\"],\"description\":\"The Function App's user-assigned managed identity (FLEET_MANAGED_IDENTITY_CLIENT_ID).\"}"

if [[ "$dry_run" == "true" ]]; then
  echo "app registration: $name (AzureADMultipleOrgs)"
  while read -r permission; do echo "permission: $permission (application)"; done <<<"$permissions"
  echo "federated credential: $credential"
  exit 0
fi

app_id="$(az ad app list --display-name "$name" --query '[0].appId' --output tsv)"
if [[ -z "$app_id" ]]; then
  app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMultipleOrgs --query appId --output tsv)"
  echo "created app registration $name: $app_id"
else
  az ad app update --id "$app_id" --sign-in-audience AzureADMultipleOrgs
  echo "reusing app registration $name: $app_id"
fi

while read -r permission; do
  role="$(az ad sp show --id "$graph_app_id" --query "appRoles[?value=='$permission'].id | [0]" --output tsv)"
  az ad app permission add --id "$app_id" --api "$graph_app_id" --api-permissions "$role=Role" >/dev/null
  echo "permission: $permission"
done <<<"$permissions"

az ad app federated-credential delete --id "$app_id" --federated-credential-id function-managed-identity >/dev/null 2>&1 || true
az ad app federated-credential create --id "$app_id" --parameters "$credential" >/dev/null
echo "federated credential: subject $subject, issuer $login/$tenant/v2.0, audience $audience"

cat <<DONE

FLEET_CLIENT_ID=$app_id
Next: azd env set FLEET_CLIENT_ID $app_id && azd provision
Each tenant to scan: its administrator opens
  $login/<tenant id>/adminconsent?client_id=$app_id
DONE
