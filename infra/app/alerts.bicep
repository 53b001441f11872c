// Scheduled query (log search) alerts on the app's Application Insights. The KQL lives in infra/alerts/*.kql
// so tests can hold every event and field name to src/core/telemetryVocabulary.ts. Each rule splits by
// tenantId: one alert per tenant, resolved automatically when the condition clears.
param location string
param tags object
param namePrefix string
param applicationInsightsId string
@description('Existing action group to notify; empty: create one for alertEmail, or notify nobody.')
param actionGroupId string = ''
param alertEmail string = ''
@description('Comma-separated tenant ids the app scans (TENANTS).')
param tenants string
@description('Minutes between scheduled scans; "no successful scan" fires after twice this.')
param scanIntervalMinutes int

var createActionGroup = empty(actionGroupId) && !empty(alertEmail)

module actionGroup 'br/public:avm/res/insights/action-group:0.8.0' = if (createActionGroup) {
  name: 'action-group'
  params: {
    name: '${namePrefix}-ag'
    groupShortName: 'sspr'
    location: 'global'
    tags: tags
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = !empty(actionGroupId) ? [actionGroupId] : (createActionGroup ? [actionGroup!.outputs.resourceId] : [])

// "No ScanCompleted for 2x the schedule": the window is the smallest look-back Azure Monitor offers that
// covers 2 x scanIntervalMinutes; the query itself looks back exactly 2 x scanIntervalMinutes.
var missingScanMinutes = 2 * scanIntervalMinutes
var lookBacks = [5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880]
var coveringLookBacks = filter(lookBacks, minutes => minutes >= missingScanMinutes)
var missingScanWindowMinutes = empty(coveringLookBacks) ? 2880 : first(coveringLookBacks)
var missingScanWindow = missingScanWindowMinutes < 60
  ? 'PT${missingScanWindowMinutes}M'
  : (missingScanWindowMinutes < 1440 ? 'PT${missingScanWindowMinutes / 60}H' : 'P${missingScanWindowMinutes / 1440}D')
var tenantIds = filter(map(split(tenants, ','), tenantId => toLower(trim(tenantId))), tenantId => !empty(tenantId))
var missingScanQuery = replace(
  replace(loadTextContent('../alerts/scan-missing.kql'), '__TENANTS__', string(tenantIds)),
  '__WINDOW_MINUTES__',
  string(missingScanMinutes)
)

var rules = [
  {
    key: 'incident-opened'
    displayName: 'sspr-remediator: administrators blocked from password reset (SSPR_009 incident opened)'
    description: 'A confirmed incident: administrators failed self-service password reset while admin SSPR (allowedToUseSSPR) is off. See docs/DEPLOY.md "Responding to alerts".'
    severity: 1
    query: loadTextContent('../alerts/incident-opened.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
  }
  {
    key: 'remediation-failed'
    displayName: 'sspr-remediator: a fix failed or did not verify'
    description: 'RemediationFailed or VerificationFailed: the runbook or PATCH failed, or allowedToUseSSPR was still not true VERIFY_FOR after the fix.'
    severity: 1
    query: loadTextContent('../alerts/remediation-failed.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
  }
  {
    key: 'scan-failed'
    displayName: 'sspr-remediator: a scan failed'
    description: 'ScanFailed or ScanPoisoned: a scan stopped with an error code, or a queued scan was set aside after its last try.'
    severity: 2
    query: loadTextContent('../alerts/scan-failed.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
  }
  {
    key: 'scan-missing'
    displayName: 'sspr-remediator: no successful scan for twice the schedule'
    description: 'No ScanCompleted for a tenant in ${missingScanMinutes} minutes (2 x the ${scanIntervalMinutes}-minute schedule): the timer, the queue, the scan or the telemetry is broken.'
    severity: 2
    query: missingScanQuery
    evaluationFrequency: missingScanWindowMinutes < 15 ? 'PT5M' : 'PT15M'
    windowSize: missingScanWindow
  }
]

module rule 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for r in rules: {
    name: 'alert-${r.key}'
    params: {
      name: '${namePrefix}-${r.key}'
      location: location
      tags: tags
      kind: 'LogAlert'
      alertDisplayName: r.displayName
      alertDescription: r.description
      severity: r.severity
      enabled: true
      autoMitigate: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: r.evaluationFrequency
      windowSize: r.windowSize
      criterias: {
        allOf: [
          {
            query: r.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [
              {
                name: 'tenantId'
                operator: 'Include'
                values: [
                  '*'
                ]
              }
            ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: actionGroupIds
      }
    }
  }
]

output ruleNames array = [for (r, i) in rules: rule[i].outputs.name]

// Control-plane writes that can change what the fix does or who may run it. Whoever can rewrite the runbook,
// its modules, the app's code or settings, or the role assignments in this resource group can make the
// Automation account's identity (Graph Policy.ReadWrite.Authorization) or the app's rewrite the tenant's
// authorization policy: an Azure RBAC role becomes an Entra change. This alert makes each such write seen;
// docs/DEPLOY.md "Who can make it write" says who can do them and what else stops them. A deployment
// (azd provision / deploy) fires it too: expected, and a record of who deployed.
// Operation names are the resource type paths plus /write, /delete or /action, as the activity log writes them.
resource controlPlaneAlert 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {
  name: '${namePrefix}-control-plane-writes'
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    description: 'sspr-remediator: someone changed the runbook, the Automation account, the Function App, its storage or Key Vault, or a role assignment in this resource group. Each of these can change what writes to the tenant\'s authorization policy. See docs/DEPLOY.md "Who can make it write".'
    scopes: [
      resourceGroup().id
    ]
    condition: {
      allOf: [
        {
          field: 'category'
          equals: 'Administrative'
        }
        {
          anyOf: [
            {
              field: 'operationName'
              equals: 'Microsoft.Automation/automationAccounts/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Automation/automationAccounts/runbooks/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Automation/automationAccounts/runbooks/draft/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Automation/automationAccounts/runbooks/publish/action'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Automation/automationAccounts/powerShell72Modules/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Authorization/roleAssignments/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Authorization/roleAssignments/delete'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Web/sites/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Web/sites/config/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Web/sites/extensions/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Web/sites/basicPublishingCredentialsPolicies/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.Storage/storageAccounts/write'
            }
            {
              field: 'operationName'
              equals: 'Microsoft.KeyVault/vaults/write'
            }
          ]
        }
      ]
    }
    actions: {
      actionGroups: [for id in actionGroupIds: { actionGroupId: id }]
    }
  }
}
