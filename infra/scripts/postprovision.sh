#!/bin/sh
# azd postprovision hook (azure.yaml): publish the runbook, then grant the Microsoft Graph application
# permissions. azd passes the environment (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP) and main.bicep's
# outputs (AUTOMATION_ACCOUNT, FUNCTION_PRINCIPAL_ID, RUNBOOK_PRINCIPAL_ID, ACTION_MODE, ...) as variables.
# With FLEET_CLIENT_ID it prints the admin-consent URL of each tenant in TENANTS.
# Run it again by hand with: azd hooks run postprovision
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
bash "$dir/publish-runbook.sh"
bash "$dir/grant-graph-permissions.sh"

bash "$dir/print-consent-urls.sh"
