#Requires -Version 7.2
<#
.SYNOPSIS
    Switches on self-service password reset for administrators (SSPR-A) in this tenant.

.DESCRIPTION
    Started by sspr-remediator as an Azure Automation job (PowerShell 7.2 runtime) when an incident
    proves that admins are blocked with SSPR_009 because allowedToUseSSPR is false on the tenant's
    authorization policy.

    -Method Graph (default): signs in with the Automation account's managed identity, which needs the
    Microsoft Graph application permission Policy.ReadWrite.Authorization, and sets allowedToUseSSPR
    to true unless it already is (running it twice is harmless).
    -Method Msol: the call Microsoft's SSPR_009 article documents, kept for the record only. MSOnline
    was retired in 2025 and Set-MsolCompanySettings no longer works.

    Modules the account needs: Microsoft.Graph.Authentication and Microsoft.Graph.Identity.SignIns.
    The last line of output is one JSON object {"incidentId","allowedToUseSSPR","method"}; the app
    reads it from the job output. No secret is passed in or written out.
#>
param(
    [Parameter(Mandatory)]
    [string]$TenantId,

    [Parameter(Mandatory)]
    [string]$IncidentId,

    [ValidateSet('Graph', 'Msol')]
    [string]$Method = 'Graph',

    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')]
    [string]$Environment = 'Global'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# $null means "could not read it", never "off".
$allowedToUseSspr = $null

if ($Method -eq 'Graph') {
    Connect-MgGraph -Identity -Environment $Environment -NoWelcome
    # The identity belongs to one tenant: refuse to report on (or change) any other.
    $signedInTenant = (Get-MgContext).TenantId
    if ($signedInTenant -ne $TenantId) {
        throw "The managed identity signed in to tenant $signedInTenant, not $TenantId. Run this runbook in an Automation account of the incident's tenant."
    }
    Write-Output "Connected to Microsoft Graph ($Environment) with the Automation account's managed identity."

    $before = (Get-MgPolicyAuthorizationPolicy).AllowedToUseSspr
    if ($before -eq $true) {
        Write-Output 'allowedToUseSSPR is already True; nothing to change.'
    }
    else {
        Write-Output "allowedToUseSSPR is $before; switching it on."
        Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true
    }
    # Re-read rather than trust the update: the result line reports what Graph now says.
    $allowedToUseSspr = (Get-MgPolicyAuthorizationPolicy).AllowedToUseSspr
}
else {
    Write-Warning 'MSOnline was retired in 2025: Set-MsolCompanySettings no longer works. Use -Method Graph.'
    try {
        Import-Module MSOnline
        Connect-MsolService
        Set-MsolCompanySettings -SelfServePasswordResetEnabled $true
        $allowedToUseSspr = (Get-MsolCompanyInformation).SelfServePasswordResetEnabled
    }
    catch {
        Write-Warning "Set-MsolCompanySettings failed: $($_.Exception.Message)"
    }
}

$result = [ordered]@{ incidentId = $IncidentId; allowedToUseSSPR = $allowedToUseSspr; method = $Method }
Write-Output ($result | ConvertTo-Json -Compress)
