#!/usr/bin/env bash
# Grants the Microsoft Graph application permissions in infra/graph-permissions.json to the managed
# identities azd just deployed, as app role assignments on Microsoft Graph's service principal
# (appId 00000003-0000-0000-c000-000000000000). Idempotent: a permission already granted is skipped.
# A conditional permission (e.g. Policy.ReadWrite.Authorization, only in the modes that fix) is revoked
# when its condition no longer holds, so switching back to ACTION_MODE=report leaves nothing that writes.
# Nothing outside the manifest is touched.
#
# Needs: FUNCTION_PRINCIPAL_ID and RUNBOOK_PRINCIPAL_ID (outputs of infra/main.bicep), ACTION_MODE and
# REMEDIATION_METHOD (same), optionally GRAPH_ENDPOINT (default: the Graph of the cloud `az` is signed in
# to), GRAPH_PERMISSIONS_FILE, DRY_RUN=true (print, change nothing).
# Who may run it: a Privileged Role Administrator or Global Administrator of the tenant (granting
# application permissions is admin consent). Anyone else gets the manual steps (docs/DEPLOY.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="${GRAPH_PERMISSIONS_FILE:-$here/../graph-permissions.json}"
action_mode="${ACTION_MODE:-report}"
method="${REMEDIATION_METHOD:-runbook}"
dry_run="${DRY_RUN:-false}"

graph="${GRAPH_ENDPOINT:-}"
if [[ -z "$graph" ]]; then
  graph="$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv)"
fi
graph="${graph%/}"

# One line per manifest grant: "<identity> <permission> <grant|revoke> <principal id variable>".
plan="$(node -e '
  const manifest = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const context = { actionMode: process.argv[2], remediationMethod: process.argv[3] };
  for (const grant of manifest.grants) {
    const wanted = Object.entries(grant.when ?? {}).every(([key, values]) => values.includes(context[key]));
    const variable = manifest.identities[grant.identity].principalIdVariable;
    console.log([grant.identity, grant.permission, wanted ? "grant" : "revoke", variable].join(" "));
  }
' "$manifest" "$action_mode" "$method")"
app_id="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).resourceAppId)' "$manifest")"

# Reads a JSON document on stdin and prints the value of a small JavaScript expression over it (`d`).
json() { node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const v=eval(process.argv[1]);if(v!==undefined&&v!==null)console.log(v)})' "$1"; }

manual_steps() {
  cat >&2 <<MSG

Granting application permissions is admin consent: it needs a Privileged Role Administrator or Global
Administrator. Ask one to run, from this directory:
  ACTION_MODE=$action_mode REMEDIATION_METHOD=$method FUNCTION_PRINCIPAL_ID=${FUNCTION_PRINCIPAL_ID:-<id>} \\
  RUNBOOK_PRINCIPAL_ID=${RUNBOOK_PRINCIPAL_ID:-<id>} bash infra/scripts/grant-graph-permissions.sh
or follow docs/DEPLOY.md "Granting the Graph permissions by hand".
MSG
}

# Runs az, and on failure says what to do instead of a bare stack of az output.
az_or_explain() {
  local output
  if ! output="$(az "$@" 2>&1)"; then
    echo "error: az ${*:1:4} failed: $output" >&2
    if grep -qiE 'Authorization_RequestDenied|Forbidden|Insufficient privileges|403' <<<"$output"; then manual_steps; exit 3; fi
    exit 1
  fi
  printf '%s' "$output"
}

graph_sp_json="$(az_or_explain rest --method get --url "$graph/v1.0/servicePrincipals(appId='$app_id')?\$select=id,appRoles")"
graph_sp_id="$(json d.id <<<"$graph_sp_json")"
if [[ -z "$graph_sp_id" ]]; then
  echo "error: Microsoft Graph's service principal ($app_id) was not found in this tenant." >&2
  exit 1
fi

changes=0
while read -r identity permission action variable; do
  principal="${!variable:-}"
  if [[ -z "$principal" ]]; then
    if [[ "$action" == "grant" ]]; then
      echo "error: $variable is empty: cannot grant $permission to the $identity identity. Run 'azd provision' first." >&2
      exit 1
    fi
    continue
  fi
  role_id="$(PERMISSION="$permission" json 'd.appRoles.find(r => r.value === process.env.PERMISSION && r.allowedMemberTypes.includes("Application"))?.id' <<<"$graph_sp_json")"
  if [[ -z "$role_id" ]]; then
    echo "error: Microsoft Graph has no application permission named $permission." >&2
    exit 1
  fi
  assignments="$(az_or_explain rest --method get --url "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments?\$select=id,appRoleId,resourceId&\$top=999")"
  existing="$(ROLE="$role_id" RESOURCE="$graph_sp_id" json 'd.value.find(a => a.appRoleId === process.env.ROLE && a.resourceId === process.env.RESOURCE)?.id' <<<"$assignments")"

  if [[ "$action" == "grant" ]]; then
    if [[ -n "$existing" ]]; then
      echo "already granted: $permission to the $identity identity ($principal)"
      continue
    fi
    echo "granting: $permission to the $identity identity ($principal)"
    changes=$((changes + 1))
    [[ "$dry_run" == "true" ]] && continue
    az_or_explain rest --method post --url "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" \
      --headers "Content-Type=application/json" \
      --body "{\"principalId\":\"$principal\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" >/dev/null
  else
    if [[ -z "$existing" ]]; then
      echo "not needed (ACTION_MODE=$action_mode, REMEDIATION_METHOD=$method): $permission for the $identity identity"
      continue
    fi
    echo "revoking (not needed with ACTION_MODE=$action_mode, REMEDIATION_METHOD=$method): $permission from the $identity identity ($principal)"
    changes=$((changes + 1))
    [[ "$dry_run" == "true" ]] && continue
    az_or_explain rest --method delete --url "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments/$existing" >/dev/null
  fi
done <<<"$plan"

echo "Microsoft Graph permissions: $changes change(s)$([[ "$dry_run" == "true" ]] && echo ' (dry run: nothing sent)')."
