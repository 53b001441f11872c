import { buildAuditRecord, policyChangeTarget, type Initiator } from './auditRecord';
import type { Directory } from './directory';
import { resolveTime } from './relativeTime';
import { roleChangeEntries } from './roleChangeEvents';
import type { ScenarioEvent, ValidScenario } from './scenarioSchema';
import { stableId } from './stableIds';
import { POLICY_ACTIVITY, type TimelineEntry } from './timelineEntry';

export function scenarioEntries(scenario: ValidScenario, directory: Directory, now: Date): TimelineEntry[] {
  const events = scenario.events.map((event, index) => eventEntry(scenario, event, index, directory, now));
  const changes = scenario.policyChanges.map((change, index) =>
    policyChangeEntry(
      scenario.tenantId,
      stableId(scenario.tenantId, scenario.name, 'policy-change', index),
      resolveTime(change.at, now),
      change.allowedToUseSSPR,
      { kind: 'user', id: change.by },
      directory,
    ),
  );
  return [...events, ...changes, ...roleChangeEntries(scenario, directory, now)];
}

export function policyChangeEntry(
  tenantId: string,
  id: string,
  timeMs: number,
  allowedToUseSSPR: boolean,
  initiator: Initiator,
  directory: Directory,
): TimelineEntry {
  const service = 'Core Directory';
  return {
    id,
    timeMs,
    service,
    activity: POLICY_ACTIVITY,
    late: false,
    render: () => ({
      ...buildAuditRecord(
        {
          id,
          timeMs,
          category: 'Policy',
          activity: POLICY_ACTIVITY,
          service,
          result: 'success',
          resultReason: '',
          initiator,
          targetUserId: null,
        },
        directory,
      ),
      targetResources: [policyChangeTarget(tenantId, allowedToUseSSPR)],
    }),
  };
}

function eventEntry(
  scenario: ValidScenario,
  event: ScenarioEvent,
  index: number,
  directory: Directory,
  now: Date,
): TimelineEntry {
  const id = event.id ?? stableId(scenario.tenantId, scenario.name, 'event', index);
  const timeMs = resolveTime(event.at, now);
  // SSPR users start their own reset, so an omitted initiator is the target.
  const initiatorId = event.initiator === undefined ? event.target : event.initiator;
  const initiator: Initiator =
    initiatorId === null
      ? { kind: 'none' }
      : initiatorId === 'anonymous'
        ? { kind: 'anonymous' }
        : { kind: 'user', id: initiatorId };
  return {
    id,
    timeMs,
    service: event.service,
    activity: event.activity,
    late: event.late,
    render: () =>
      buildAuditRecord(
        {
          id,
          timeMs,
          category: 'UserManagement',
          activity: event.activity,
          service: event.service,
          result: event.result,
          resultReason: event.resultReason,
          initiator,
          targetUserId: event.target,
          correlationId:
            event.flow === undefined
              ? undefined
              : stableId(scenario.tenantId, scenario.name, 'flow', event.flow),
        },
        directory,
      ),
  };
}
