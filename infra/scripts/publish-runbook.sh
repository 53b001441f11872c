#!/usr/bin/env bash
# Publishes infra/runbooks/<AUTOMATION_RUNBOOK>.ps1 to the Automation account's runbook of the same name
# (Bicep creates the runbook but cannot upload its content). Idempotent: when the published content already
# equals the file, nothing is sent. Uses only `az rest` (Resource Manager of the cloud `az` is signed in to).
#
# Needs: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AUTOMATION_ACCOUNT; optional AUTOMATION_RUNBOOK
# (default Enable-AdminSspr), RUNBOOK_FILE, PUBLISH_TIMEOUT_SECONDS (default 120).
# Role: Automation Contributor (or Contributor) on the account, which the deploying identity has.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${AZURE_SUBSCRIPTION_ID:?AZURE_SUBSCRIPTION_ID is not set: run from azd (azd hooks run postprovision) or export it.}"
: "${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set: it is an output of infra/main.bicep.}"
: "${AUTOMATION_ACCOUNT:?AUTOMATION_ACCOUNT is not set: it is an output of infra/main.bicep.}"
runbook="${AUTOMATION_RUNBOOK:-Enable-AdminSspr}"
file="${RUNBOOK_FILE:-$here/../runbooks/$runbook.ps1}"
timeout="${PUBLISH_TIMEOUT_SECONDS:-120}"
api="2023-11-01"

if [[ ! -f "$file" ]]; then
  echo "error: runbook file $file not found (AUTOMATION_RUNBOOK=$runbook must name a file in infra/runbooks)." >&2
  exit 2
fi

id="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Automation/automationAccounts/$AUTOMATION_ACCOUNT/runbooks/$runbook"

# Compare scripts without line-ending, BOM or trailing-space differences.
# (Command substitution drops trailing newlines.)
normalize() { sed -e '1s/^\xEF\xBB\xBF//' -e 's/\r$//' -e 's/[[:space:]]*$//'; }
wanted="$(normalize < "$file")"

# Prints the runbook's content at $1 ("content" = published, "draft/content" = draft); empty if there is none.
content_at() { az rest --method get --url "$id/$1?api-version=$api" 2>/dev/null | normalize || true; }

if [[ "$(content_at content)" == "$wanted" ]]; then
  echo "runbook $runbook: published content is already $file; nothing to do."
  exit 0
fi

echo "runbook $runbook: uploading $file as the draft."
az rest --method put --url "$id/draft/content?api-version=$api" \
  --headers "Content-Type=text/powershell" --body "@$file" --output none

# Replacing the draft is asynchronous (202): wait until the draft is the file before publishing it.
deadline=$((SECONDS + timeout))
until [[ "$(content_at draft/content)" == "$wanted" ]]; do
  if ((SECONDS >= deadline)); then
    echo "error: the draft of $runbook did not show the new content within ${timeout}s; run 'azd hooks run postprovision' again." >&2
    exit 1
  fi
  sleep 5
done

echo "runbook $runbook: publishing."
az rest --method post --url "$id/publish?api-version=$api" --output none

deadline=$((SECONDS + timeout))
until [[ "$(content_at content)" == "$wanted" ]]; do
  if ((SECONDS >= deadline)); then
    echo "error: $runbook was not published within ${timeout}s; check the runbook in the portal and run 'azd hooks run postprovision' again." >&2
    exit 1
  fi
  sleep 5
done
echo "runbook $runbook: published."
