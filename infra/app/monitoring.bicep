// Log Analytics + workspace-based Application Insights. Local (instrumentation key) auth is off:
// the Functions host sends with its managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and
// holds Monitoring Metrics Publisher on the component (rbac.bicep).
param location string
param tags object
param logAnalyticsName string
param applicationInsightsName string
param disableLocalAuth bool = true

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'log-analytics'
  params: {
    name: logAnalyticsName
    location: location
    tags: tags
    dataRetention: 30
  }
}

module applicationInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'application-insights'
  params: {
    name: applicationInsightsName
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    applicationType: 'web'
    kind: 'web'
    retentionInDays: 90
    disableLocalAuth: disableLocalAuth
  }
}

output logAnalyticsWorkspaceId string = logAnalytics.outputs.resourceId
output applicationInsightsName string = applicationInsights.outputs.name
output applicationInsightsId string = applicationInsights.outputs.resourceId
