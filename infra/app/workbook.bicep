// The ops dashboard: an Application Insights workbook (infra/workbook/sspr-workbook.json) pinned to the
// app's Application Insights. Every event and field it queries is in src/core/telemetryVocabulary.ts
// (test/infra/telemetryNames.test.ts).
param location string
param tags object
param applicationInsightsId string
@description('Minutes between scheduled scans; a tenant whose last successful scan is older than twice this shows as stale.')
param scanIntervalMinutes int
param displayName string = 'sspr-remediator: admin SSPR incidents and scan health'

var workbookContent = replace(loadTextContent('../workbook/sspr-workbook.json'), '__SCAN_INTERVAL_MINUTES__', string(scanIntervalMinutes))

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, applicationInsightsId, 'sspr-remediator-workbook')
  location: location
  tags: union(tags, { 'hidden-title': displayName })
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: toLower(applicationInsightsId)
    serializedData: workbookContent
  }
}

output id string = workbook.id
