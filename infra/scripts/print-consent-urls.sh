#!/usr/bin/env bash
# Issue 15: with FLEET_CLIENT_ID, every scanned tenant (the home one included) signs in as that app
# registration, and an administrator of each tenant consents to it once (README.md "Identity across
# tenants"). Prints the admin-consent URL of each tenant in TENANTS (comma-separated), on the sign-in
# host of the cloud `az` is signed in to (LOGIN_HOST overrides it). Without FLEET_CLIENT_ID: nothing.
set -euo pipefail

client_id="${FLEET_CLIENT_ID:-}"
[[ -z "$client_id" ]] && exit 0
login="${LOGIN_HOST:-$(az cloud show --query endpoints.activeDirectory --output tsv)}"
login="${login%/}"
echo "Scanned tenants sign in as the app registration $client_id; an administrator of each consents once:"
IFS=',' read -r -a tenants <<<"${TENANTS:-}"
for tenant in "${tenants[@]}"; do
  tenant="${tenant// /}"
  [[ -n "$tenant" ]] && echo "  $login/$tenant/adminconsent?client_id=$client_id"
done
