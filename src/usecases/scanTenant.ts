import { advanceTenantIncidents, type ActionDependencies, type ActionOutcome } from './incidentActions';
import type { AffectedAdmin } from './ports/actions';
import type { AuditLogReader, DirectoryReader } from './ports/graph';
import type { GraphStats } from './ports/graph';
import { toAppError } from '../errors';
import type { StateStore, StoredIncident } from './ports/state';
import type { Telemetry } from './ports/telemetry';
import { classifyEvent, groupByUser, markFlowsPastAdminGate, wentPastAdminGate } from '../core/classify';
import { planIncident } from '../core/incident';
import {
  SSPR_009,
  type AuditEvent,
  type Finding,
  type PolicyFacts,
  type SsprFailure,
  type UserFacts,
  type Window,
} from '../core/model';
import { adminSsprSwitches, lastSwitchedOn, switchValueAt, type PolicySwitch } from '../core/policyChanges';
import type { Signature } from '../core/signatures';
import { judgeUser, PROPAGATION_MS } from '../core/verdict';
import { nextCheckpoint, planWindow, RETENTION_MS } from '../core/window';

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

export interface UnmatchedReason {
  reason: string;
  count: number;
}

/** At most this many distinct unknown texts are listed, each cut to this length: output stays bounded. */
const MAX_UNMATCHED_REASONS = 20;
const MAX_REASON_CHARS = 300;

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
  const findings = [...failuresByUser]
    .map(([userId, failures]) =>
      judgeUser(facts.users.get(userId)!, facts.policy, failures, now, facts.history),
    )
    .sort(byVerdictThenUser);

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

/**
 * Events older than the audit retention (plus a day) can never be in a window again: forget them, so
 * the lookup of recorded events each scan makes stays one month long. Best effort: everything this
 * scan found is already durable, and the next scan tries again.
 */
async function forgetUnreadableEvents(deps: ScanDependencies, tenantId: string, now: Date): Promise<void> {
  try {
    await deps.state.forgetEventsBefore(tenantId, new Date(now.getTime() - RETENTION_MS - 86_400_000));
  } catch (err) {
    deps.progress?.(
      `could not forget old recorded events (${toAppError(err).code}); the next scan tries again`,
    );
  }
}

function recordScan(
  deps: ScanDependencies,
  tenantId: string,
  window: Window,
  read: { eventsRead: number; failures: SsprFailure[] },
  findings: Finding[],
  started: Date,
) {
  const confirmed = findings.filter((finding) => finding.verdict === 'confirmed').length;
  deps.telemetry?.event(
    'ScanCompleted',
    { tenantId, windowFrom: window.from.toISOString(), windowTo: window.to.toISOString() },
    {
      eventsRead: read.eventsRead,
      failures: read.failures.length,
      confirmed,
      durationMs: Date.now() - started.getTime(),
      graphRequests: deps.graphStats.total,
      throttled: deps.graphStats.throttled,
    },
  );
  deps.telemetry?.metric('SsprFailures', read.failures.length, { tenantId });
  deps.telemetry?.metric('ConfirmedAdmins', confirmed, { tenantId });
  deps.telemetry?.metric('GraphThrottled', deps.graphStats.throttled, { tenantId });
}

/**
 * Streams the audit pages and keeps only new failures, and the flows (correlation ids) that went past the
 * admin gate: memory grows with failures and such flows, not with events.
 */
async function readFailures(deps: ScanDependencies, window: Window, alreadyRecorded: Set<string>) {
  const failures: SsprFailure[] = [];
  const flowsPastAdminGate = new Set<string>();
  const unmatched = new Map<string, number>();
  let eventsRead = 0;
  let unattributed = 0;
  for await (const page of deps.auditLog.ssprEvents(window)) {
    eventsRead += page.length;
    for (const event of page) {
      const reading = classifyEvent(event, deps.signatures);
      // Recorded events still show where their flow went; only their failures are not new.
      if (event.correlationId && wentPastAdminGate(reading))
        flowsPastAdminGate.add(event.correlationId.toLowerCase());
      if (alreadyRecorded.has(event.id) || reading.kind === 'not-a-failure') continue;
      if (reading.unmatched) countUnmatched(unmatched, event.resultReason);
      if (reading.kind === 'failure') failures.push(reading.failure);
      else unattributed++;
    }
    deps.progress?.(`read ${eventsRead} audit events, ${failures.length} failures so far`);
  }
  markFlowsPastAdminGate(failures, flowsPastAdminGate);
  const unmatchedReasons = [...unmatched]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count);
  return { failures, eventsRead, unattributed, unmatchedReasons };
}

function countUnmatched(unmatched: Map<string, number>, resultReason: string | null | undefined): void {
  const reason = (resultReason ?? '').trim().slice(0, MAX_REASON_CHARS);
  if (!unmatched.has(reason) && unmatched.size >= MAX_UNMATCHED_REASONS) return;
  unmatched.set(reason, (unmatched.get(reason) ?? 0) + 1);
}

interface Facts {
  users: Map<string, UserFacts>;
  policy: PolicyFacts;
  /** Changes of the admin switch since the oldest admin failure (and the last 60 minutes), oldest first. */
  history: PolicySwitch[];
}

/**
 * The directory facts behind the verdicts, read once per scan: each distinct user in $batch, the
 * admin switch once, and, when an admin failed, the switch's changes since that failure (so each
 * failure is judged by the switch as it stood then, and a recent switch-on reads as propagating).
 */
async function learnFacts(
  deps: ScanDependencies,
  failuresByUser: Map<string, SsprFailure[]>,
  now: Date,
): Promise<Facts> {
  if (failuresByUser.size === 0) {
    return {
      users: new Map(),
      policy: { kind: 'unknown', reason: 'not read: no failures', transient: false },
      history: [],
    };
  }
  deps.progress?.(`looking up ${failuresByUser.size} users and the admin SSPR policy`);
  const users = await deps.directory.users([...failuresByUser.keys()]);
  const policy = await deps.directory.adminSsprPolicy();
  const adminFailures = [...users.values()].filter(isAdmin).flatMap((user) => failuresByUser.get(user.id)!);
  if (adminFailures.length === 0 || policy.kind === 'unknown') return { users, policy, history: [] };

  const oldest = Math.min(
    ...adminFailures.map((failure) => Date.parse(failure.at)),
    now.getTime() - PROPAGATION_MS,
  );
  try {
    const changes: AuditEvent[] = [];
    for await (const page of deps.auditLog.authorizationPolicyChanges({
      from: new Date(oldest - 1000),
      to: now,
    }))
      changes.push(...page);
    const history = adminSsprSwitches(changes);
    return {
      users,
      policy: policy.kind === 'on' ? { kind: 'on', enabledAt: lastSwitchedOn(history) } : policy,
      history,
    };
  } catch (err) {
    const error = toAppError(err);
    const reason = `the history of the admin SSPR switch could not be read (${error.message})`;
    return { users, policy: { kind: 'unknown', reason, transient: error.transient }, history: [] };
  }
}

function isAdmin(user: UserFacts): boolean {
  return user.kind === 'found' && user.roles.kind === 'known' && user.roles.adminRoles.length > 0;
}

/**
 * Admins judged `propagating` or `policy-on` who failed while the switch was still off (say, unreadable
 * in the scan that fixed it) were blocked by the same outage: they join the incident that covered it,
 * so its record names everyone affected. Never a new incident or action: the switch is already on.
 * Returns the incident id each joined admin's events belong to.
 */
async function joinLateAdmins(
  deps: ScanDependencies,
  tenantId: string,
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
  facts: Facts,
  now: Date,
) {
  const failedWhileOff = (userId: string) =>
    failuresByUser
      .get(userId)!
      .filter((failure) => !failure.pastAdminGate && !switchValueAt(failure.at, facts.history, true));
  const late = findings.filter(
    (finding) =>
      (finding.verdict === 'propagating' || finding.verdict === 'policy-on') &&
      failedWhileOff(finding.userId).length > 0,
  );
  if (late.length === 0) return new Map<string, string>();
  const since = new Date(
    Math.min(
      ...late.flatMap((finding) => failedWhileOff(finding.userId).map((failure) => Date.parse(failure.at))),
    ),
  );
  const incident = await deps.state.joinLatestIncident(
    tenantId,
    SSPR_009,
    affectedAdmins(late, failuresByUser),
    since,
    now,
  );
  return new Map(incident ? late.map((finding) => [finding.userId, incident.id]) : []);
}

function confirmedOnly(findings: Finding[]): Finding[] {
  return findings.filter((finding) => finding.verdict === 'confirmed');
}

/** These admins with the evidence a ticket shows. */
function affectedAdmins(findings: Finding[], failuresByUser: Map<string, SsprFailure[]>): AffectedAdmin[] {
  return findings.map((finding) => {
    const failures = failuresByUser.get(finding.userId)!;
    return {
      userId: finding.userId,
      userPrincipalName: finding.userPrincipalName,
      roles: finding.roles,
      synced: finding.synced,
      eventIds: finding.eventIds,
      correlationIds: [
        ...new Set(failures.map((failure) => failure.correlationId).filter((id): id is string => !!id)),
      ],
      lastFailureAt:
        failures
          .map((failure) => failure.at)
          .sort()
          .at(-1) ?? null,
    };
  });
}

const VERDICT_ORDER = ['confirmed', 'cannot-confirm', 'propagating', 'policy-on', 'not-admin'];

/** Stable output: what needs action first, then by user. */
function byVerdictThenUser(a: Finding, b: Finding): number {
  const order = VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict);
  return order !== 0
    ? order
    : (a.userPrincipalName ?? a.userId).localeCompare(b.userPrincipalName ?? b.userId);
}

/** A `cannot-confirm` caused by throttling, a 5xx or no answer: the next scan must look at it again. */
function isRetryable(finding: Finding, facts: Facts): boolean {
  if (finding.verdict !== 'cannot-confirm') return false;
  const user = facts.users.get(finding.userId);
  if (user?.kind === 'unknown') return user.transient;
  if (user?.kind === 'found' && user.roles.kind === 'unknown') return user.roles.transient;
  return facts.policy.kind === 'unknown' && facts.policy.transient;
}

/** The checkpoint stops just before the oldest failure that must be looked at again, so it is re-read. */
function holdBefore(findings: Finding[], facts: Facts, failuresByUser: Map<string, SsprFailure[]>) {
  const times = findings
    .filter((finding) => isRetryable(finding, facts))
    .flatMap((finding) => failuresByUser.get(finding.userId)!.map((failure) => Date.parse(failure.at)));
  return times.length > 0 ? new Date(Math.min(...times) - 1) : undefined;
}

function recordedEvents(
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
  incidentId: string | undefined,
  lateJoined: Map<string, string>,
) {
  return findings.flatMap((finding) =>
    failuresByUser.get(finding.userId)!.map((failure) => ({
      eventId: failure.eventId,
      at: failure.at,
      userId: failure.userId,
      verdict: finding.verdict,
      incidentId: finding.verdict === 'confirmed' ? incidentId : lateJoined.get(finding.userId),
    })),
  );
}
