import { explainPolicyOn } from './explainPolicyOn';
import { advanceTenantIncidents, type ActionDependencies, type ActionOutcome } from './incidentActions';
import { affectedAdmins, confirmedOnly, joinLateAdmins } from './incidentMembers';
import { learnFacts, type Facts } from './learnFacts';
import type { AuditLogReader, DirectoryReader, GraphStats } from './ports/graph';
import type { StateStore, StoredIncident } from './ports/state';
import type { Telemetry } from './ports/telemetry';
import { readFailures, type UnmatchedReason } from './readFailures';
import { forgetUnreadableEvents, recordScan } from './scanRecord';
import { byVerdictThenUser, holdBefore, isRetryable, recordedEvents } from './settleFindings';
import { groupByUser } from '../core/classify';
import { planIncident } from '../core/incident';
import type { Finding, SsprFailure } from '../core/model';
import type { Signature } from '../core/signatures';
import { judgeUser } from '../core/verdict';
import { nextCheckpoint, planWindow } from '../core/window';

export type { UnmatchedReason } from './readFailures';

export interface ScanDependencies {
  auditLog: AuditLogReader;
  directory: DirectoryReader;
  state: StateStore;
  signatures: Signature[];
  graphStats: GraphStats;
  lookbackMs: number;
  overlapMs: number;
  clock?: () => Date;
  progress?: (message: string) => void;
  /** What to do about incidents; absent or `report` means nothing outside our own state. */
  actions?: ActionDependencies;
  telemetry?: Telemetry;
}

export interface ScanRequest {
  tenantId: string;
  from?: Date;
  to?: Date;
}

export interface ScanResult {
  tenantId: string;
  window: { from: string; to: string };
  /** True when the window was cut to the 30-day audit retention: older failures cannot be seen. */
  clippedToRetention: boolean;
  eventsRead: number;
  /** Failures that name no user (anonymous or all-zero initiator, no target): counted, never looked up. */
  unattributedFailures: number;
  /**
   * Failure texts no rule knows (read as failures with no code, since Graph said so), with how often
   * each came: worth a rule in SSPR_SIGNATURES, and worth reporting.
   */
  unmatchedReasons: UnmatchedReason[];
  findings: Finding[];
  incidents: StoredIncident[];
  /** Actions that failed this time (they are retried on the next scan). */
  actionErrors: ActionOutcome['errors'];
  graphRequests: GraphStats;
}

/**
 * One scan of one tenant over one window: read the SSPR audit events, keep the failures, learn who
 * failed and whether admin SSPR is off, give each user a verdict, record the incident, and only then
 * move the checkpoint forward.
 */
export async function scanTenant(deps: ScanDependencies, request: ScanRequest): Promise<ScanResult> {
  const now = (deps.clock ?? (() => new Date()))();
  const checkpoint = await deps.state.readCheckpoint(request.tenantId);
  const window = planWindow({
    ...request,
    now,
    checkpoint: checkpoint?.windowEnd,
    lookbackMs: deps.lookbackMs,
    overlapMs: deps.overlapMs,
  });
  const alreadyRecorded = await deps.state.recordedEventIds(request.tenantId, window.from);

  const read = await readFailures(deps, window, alreadyRecorded);
  const failuresByUser = groupByUser(read.failures);
  const facts = await learnFacts(deps, failuresByUser, now);
  const findings = await explainPolicyOn(deps, judgeAll(failuresByUser, facts, now), failuresByUser);

  const planned = planIncident(request.tenantId, findings);
  const incident =
    planned &&
    (await deps.state.saveIncident(
      request.tenantId,
      planned,
      affectedAdmins(confirmedOnly(findings), failuresByUser),
      now,
    ));
  if (incident && incident.openedAt === now.toISOString()) {
    deps.telemetry?.event(
      'IncidentOpened',
      { tenantId: request.tenantId, incidentId: incident.id, cause: incident.cause },
      { admins: incident.userIds.length },
    );
  }
  const lateJoined = await joinLateAdmins(deps, request.tenantId, findings, failuresByUser, facts, now);
  const acted =
    deps.actions && deps.actions.mode !== 'report'
      ? await advanceTenantIncidents(deps.actions, request.tenantId)
      : undefined;
  const settled = findings.filter((finding) => !isRetryable(finding, facts));
  await deps.state.recordEvents(
    request.tenantId,
    recordedEvents(settled, failuresByUser, incident?.id, lateJoined),
  );
  const advanceTo = nextCheckpoint(
    { ...window, to: holdBefore(findings, facts, failuresByUser) ?? window.to },
    checkpoint?.windowEnd,
  );
  if (advanceTo) await deps.state.advanceCheckpoint(request.tenantId, advanceTo, checkpoint);
  await forgetUnreadableEvents(deps, request.tenantId, now);

  recordScan(deps, request.tenantId, window, read, findings, now);
  return {
    tenantId: request.tenantId,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    clippedToRetention: window.clippedToRetention,
    eventsRead: read.eventsRead,
    unattributedFailures: read.unattributed,
    unmatchedReasons: read.unmatchedReasons,
    findings,
    incidents: acted?.incidents ?? (incident ? [incident] : []),
    actionErrors: acted?.errors ?? [],
    graphRequests: { ...deps.graphStats },
  };
}

/** One verdict per user, each failure judged by the switch and the user's roles as they stood then. */
function judgeAll(failuresByUser: Map<string, SsprFailure[]>, facts: Facts, now: Date): Finding[] {
  return [...failuresByUser]
    .map(([userId, failures]) =>
      judgeUser(facts.users.get(userId)!, facts.policy, failures, now, facts.history, {
        overTime: facts.roles.get(userId),
        coverage: facts.coverage,
      }),
    )
    .sort(byVerdictThenUser);
}
