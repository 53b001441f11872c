import { createHash } from 'node:crypto';
import { formatDuration } from '../core/duration';
import { AppError, toAppError } from '../errors';
import type { AuditLogReader, DirectoryReader } from './ports/graph';
import type { AuditEvent } from '../core/model';
import { adminSsprSwitches } from '../core/policyChanges';
import { RETENTION_MS } from '../core/window';
import type { EventMeasurements, EventProperties, Telemetry } from './ports/telemetry';
import type { EventName } from '../core/telemetryVocabulary';
import type { IncidentState, StateStore, StoredIncident } from './ports/state';
import type { RemediationMethod, RemediationRef, Remediator, TicketRef, TicketSink } from './ports/actions';
import { ticketContent } from './ticketContent';

import type { ActionMode } from '../core/modes';
const TERMINAL_FAILURE = new Set(['Failed', 'Stopped', 'Suspended']);

export interface ActionDependencies {
  mode: ActionMode;
  state: StateStore;
  directory: DirectoryReader;
  auditLog: AuditLogReader;
  tickets?: TicketSink;
  /** The remediator for new fixes (REMEDIATION_METHOD), in the modes that fix. */
  remediator?: Remediator;
  /** Every remediator that can be built, to follow a fix started under another method or mode. */
  remediators?: Partial<Record<RemediationMethod, Remediator>>;
  allowRevertingHardening: boolean;
  /** How long one scan waits for a runbook job before leaving it to the next scan. */
  remediationWaitMs: number;
  /** How long a fix may take to show in the policy before the incident is failed (60 minutes). */
  verifyForMs: number;
  pollIntervalMs: number;
  /** This run's tenant lease, as the journal knows it; absent where no lease is taken (unit tests). */
  writer?: JournalWriter;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  telemetry?: Telemetry;
  progress?: (message: string) => void;
}

export interface JournalWriter {
  /** `owner#leaseId`: written on every `intended` row, so a later holder knows the row is not its own. */
  id: string;
  /** When this run got the tenant lease: the former holder stopped sending before then. */
  since: Date;
  /**
   * How long a request the former holder sent just before it lost the lease may still land: one
   * attempt's timeout plus a margin. A row it left is redone only once this much has passed since `since`.
   */
  inFlightMs: number;
}

/**
 * Moves one incident as far as the mode allows: ticket it, tell the ticket about new admins, start
 * the fix (unless someone deliberately switched admin SSPR off, or approval is pending), follow the
 * job, and verify the policy. Each external call is journalled first under a deterministic key, so
 * a crash and rerun finds the ticket or job it already made instead of making a second one.
 */
export async function advanceIncident(
  deps: ActionDependencies,
  incident: StoredIncident,
): Promise<StoredIncident> {
  if (deps.mode === 'report' || incident.state === 'resolved') return incident;
  // A fix already under way is followed and verified whatever the mode is now.
  if (incident.state === 'remediating') return afterFix(deps, await followRemediation(deps, incident));
  if (incident.state === 'verifying') return verify(deps, incident);

  // Nothing of ours runs: act only on what the policy says now. On → resolved (fixed by a person, or
  // before we got here); unknown (denied, absent, unreachable) → nothing this scan, never a write.
  const policy = await deps.directory.adminSsprPolicy();
  if (policy.kind === 'on') return resolveFixedElsewhere(deps, incident);
  if (policy.kind === 'unknown') return incident;

  let current = await ensureTicket(deps, incident);
  current = await notifyNewAdmins(deps, current);
  if (deps.mode === 'ticket' || current.state === 'failed') return current;
  if (deps.mode === 'approve' && !current.approval) return current;
  current = await startRemediation(deps, current);
  return current.state === 'remediating' ? afterFix(deps, await followRemediation(deps, current)) : current;
}

async function afterFix(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  return incident.state === 'verifying' ? verify(deps, incident) : incident;
}

export interface ActionOutcome {
  incidents: StoredIncident[];
  errors: Array<{ incidentId: string; code: string; message: string }>;
}

/**
 * Advances every unresolved incident of the tenant, the one this scan touched and older ones (a job to
 * follow, a policy to verify). One incident's failure does not stop the others; it is reported and
 * retried on the next scan, where the journal picks up what was already done.
 */
export async function advanceTenantIncidents(
  deps: ActionDependencies,
  tenantId: string,
): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { incidents: [], errors: [] };
  for (const incident of await deps.state.listIncidents(tenantId)) {
    try {
      outcome.incidents.push(await advanceIncident(deps, incident));
    } catch (err) {
      const error = toAppError(err);
      outcome.errors.push({ incidentId: incident.id, code: error.code, message: error.message });
      outcome.incidents.push((await deps.state.getIncident(tenantId, incident.id)) ?? incident);
    }
  }
  return outcome;
}

/**
 * Records who approved the fix (approve mode) and runs it. When admin SSPR was switched off on purpose
 * (the audit log names who), an approval must say it overrides that decision, and the ticket says so.
 */
export async function approveIncident(
  deps: ActionDependencies,
  tenantId: string,
  incidentId: string,
  by: string,
  overrideHardening = false,
): Promise<StoredIncident> {
  const incident = await deps.state.getIncident(tenantId, incidentId);
  if (!incident)
    throw new AppError(
      'INCIDENT.NOT_FOUND',
      `No incident ${incidentId} in tenant ${tenantId}. List them with: sspr-remediator incidents`,
    );
  if (deps.mode !== 'approve') {
    throw new AppError(
      'INCIDENT.NOT_APPROVABLE',
      `Approval is only used in ACTION_MODE=approve; for tenant ${tenantId} it is ${deps.mode} (ACTION_MODE, or the tenant's mode cap in the registry).`,
    );
  }
  if (incident.approval) return advanceIncident(deps, incident);
  if (!['open', 'ticketed'].includes(incident.state)) {
    throw new AppError(
      'INCIDENT.NOT_APPROVABLE',
      `Incident ${incidentId} is ${incident.state}; only open or ticketed incidents can be approved.`,
    );
  }
  // Opening the ticket looked the switch-off up; an incident without a ticket yet has not.
  const disabledBy = incident.disabledBy ?? (incident.ticket ? null : await whoDisabledIt(deps));
  // The switch-off this approval would revert, unless the operator allows reverting hardening anyway.
  const overridden = deps.allowRevertingHardening ? null : disabledBy;
  if (overridden && !overrideHardening) {
    throw new AppError(
      'INCIDENT.HARDENING_HOLD',
      `Admin SSPR was switched off on purpose by ${overridden.by ?? 'an unknown principal'} at ${overridden.at}. To revert that decision, approve again with overrideHardening: true (CLI: --override-hardening).`,
    );
  }
  const now = clock(deps);
  const approval = { by, at: now.toISOString(), ...(overridden ? { overrideHardening: true } : {}) };
  const approved = await save(
    deps,
    { ...incident, disabledBy, approval },
    'approved',
    by,
    overridden ? 'fix approved, overriding the hardening decision' : 'fix approved',
  );
  emit(deps, approved, 'ApprovalRecorded', { approverUpn: by });
  const overrideNote = overridden
    ? ` It overrides the decision of ${overridden.by ?? 'an unknown principal'}, who switched admin SSPR off at ${overridden.at}.`
    : '';
  await tell(
    deps,
    approved,
    'ticket:approved',
    'updated',
    false,
    `The fix was approved by ${by} at ${now.toISOString()}.${overrideNote}`,
  );
  return advanceIncident(deps, approved);
}

async function ensureTicket(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  if (incident.ticket || !deps.tickets) return incident;
  const sink = deps.tickets;
  const withCulprit = incident.disabledBy ? incident : { ...incident, disabledBy: await whoDisabledIt(deps) };
  const opened = await once<{ ticket: TicketRef; notified: string[] }>(
    deps,
    withCulprit,
    'ticket:opened',
    async (key) => {
      // A crash may have left a ticket without its journal entry: look it up before filing. A found
      // ticket may predate some admins, so then every admin is told again in an update.
      const found = await sink.find(incident.id);
      if (found) return { ticket: found, notified: [] };
      return {
        ticket: await sink.create(ticketContent(withCulprit, 'opened'), key),
        notified: withCulprit.userIds,
      };
    },
  );
  const { ticket, notified } = opened;
  emit(deps, withCulprit, 'TicketOpened', { ticketSystem: ticket.system, ticketId: ticket.id });
  return save(
    deps,
    { ...withCulprit, ticket, notifiedUserIds: notified },
    'ticketed',
    'scan',
    `ticket ${ticket.system} ${ticket.id}`,
  );
}

async function notifyNewAdmins(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  const newAdmins = incident.admins.filter((admin) => !incident.notifiedUserIds.includes(admin.userId));
  if (!incident.ticket || !deps.tickets || newAdmins.length === 0) return incident;
  const ids = newAdmins.map((admin) => admin.userId).sort();
  const key = `ticket:updated:${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16)}`;
  const { ticket } = incident;
  await once(deps, incident, key, async (idempotencyKey) => {
    await deps.tickets!.update(ticket, ticketContent(incident, 'updated', { newAdmins }), idempotencyKey);
    return true;
  });
  emit(deps, incident, 'TicketUpdated', {
    ticketSystem: ticket.system,
    ticketId: ticket.id,
    change: 'updated',
  });
  return save(
    deps,
    { ...incident, notifiedUserIds: [...new Set([...incident.notifiedUserIds, ...ids])] },
    incident.state,
    'scan',
    `${ids.length} more admin(s) told to the ticket`,
  );
}

async function startRemediation(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  const remediator = deps.remediator;
  // The ticket is the record of what we do: no fix without one.
  if (!remediator || (deps.tickets && !incident.ticket)) return incident;
  if (incident.disabledBy && !deps.allowRevertingHardening && !incident.approval?.overrideHardening) {
    // Switched off on purpose (hardening baselines recommend it): a person decides, not us.
    await tell(
      deps,
      incident,
      'ticket:hardening',
      'updated',
      null,
      `Not fixed automatically: admin SSPR was switched off by ${incident.disabledBy.by ?? 'an unknown principal'} at ${incident.disabledBy.at}. ` +
        'Set ALLOW_REVERTING_HARDENING=true, or switch it on by hand, if that change was not intended.',
    );
    return incident;
  }
  // Idempotent (a PUT under a deterministic job name, or a PATCH to true): no need to wait out a former holder.
  const ref = await once<RemediationRef>(
    deps,
    incident,
    'remediation:start',
    () => remediator.start(incident.tenantId, incident.id),
    { idempotent: true },
  );
  emit(deps, incident, 'RemediationStarted', {
    method: ref.method,
    jobName: ref.jobName ?? undefined,
    disabledByUpn: incident.disabledBy?.by ?? undefined,
    disabledAt: incident.disabledBy?.at,
  });
  const now = clock(deps).toISOString();
  return save(
    deps,
    { ...incident, remediation: { ...ref, status: 'Started', startedAt: now } },
    'remediating',
    'scan',
    `${ref.method} fix started${ref.jobName ? ` (job ${ref.jobName})` : ''}`,
  );
}

async function followRemediation(
  deps: ActionDependencies,
  incident: StoredIncident,
): Promise<StoredIncident> {
  const started = incident.remediation;
  const remediator =
    started &&
    (deps.remediators?.[started.method] ??
      (deps.remediator?.method === started.method ? deps.remediator : undefined));
  if (!started) return incident;
  if (!remediator) {
    throw new AppError(
      'REMEDIATION.UNAVAILABLE',
      `Incident ${incident.id} has a ${started.method} fix under way, but that method is not configured now. Restore its settings to follow it.`,
    );
  }
  const deadline = clock(deps).getTime() + deps.remediationWaitMs;
  for (;;) {
    const progress = await remediator.progress({ method: started.method, jobName: started.jobName });
    const current = { ...incident, remediation: { ...started, status: progress.status } };
    if (progress.terminal && TERMINAL_FAILURE.has(progress.status)) {
      emit(deps, current, 'RemediationFailed', {
        method: started.method,
        jobName: started.jobName ?? undefined,
        code: progress.status,
      });
      return fail(
        deps,
        current,
        `the ${started.method} fix ended ${progress.status}${progress.detail ? `: ${progress.detail}` : ''}`,
        false,
      );
    }
    if (!progress.terminal && clock(deps).getTime() - Date.parse(started.startedAt) > deps.verifyForMs) {
      return fail(
        deps,
        current,
        `the ${started.method} job is still ${progress.status} ${formatDuration(deps.verifyForMs)} after it started (VERIFY_FOR)`,
        false,
      );
    }
    if (progress.terminal) {
      emit(deps, current, 'RemediationSucceeded', {
        method: started.method,
        jobName: started.jobName ?? undefined,
      });
      return save(
        deps,
        { ...current, verifyingSince: clock(deps).toISOString() },
        'verifying',
        'scan',
        `the ${started.method} fix ended ${progress.status}; verifying the policy`,
      );
    }
    if (clock(deps).getTime() + deps.pollIntervalMs > deadline) {
      return current.remediation.status === incident.remediation?.status
        ? incident
        : save(deps, current, 'remediating', 'scan', `job ${progress.status}`);
    }
    await sleep(deps, deps.pollIntervalMs);
  }
}

/** Only a re-read policy with allowedToUseSSPR true resolves an incident; a finished job is not proof. */
async function verify(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  const policy = await deps.directory.adminSsprPolicy();
  const since = Date.parse(incident.verifyingSince ?? incident.updatedAt);
  const waitedMs = clock(deps).getTime() - since;
  if (policy.kind === 'on') {
    emit(deps, incident, 'VerificationSucceeded', {}, { waitedMs });
    return resolve(deps, incident, 'allowedToUseSSPR reads true', null);
  }
  if (waitedMs < deps.verifyForMs) return incident;
  emit(
    deps,
    incident,
    'VerificationFailed',
    { code: policy.kind === 'off' ? 'POLICY.STILL_OFF' : 'POLICY.UNKNOWN' },
    { waitedMs },
  );
  return fail(
    deps,
    incident,
    `allowedToUseSSPR still not true ${formatDuration(deps.verifyForMs)} after the fix (VERIFY_FOR)`,
    policy.kind === 'off' ? false : null,
  );
}

/**
 * The ticket hears it before the state changes: a crash in between leaves the incident where it was,
 * so the next scan tells again (same journal key: at most once) and then moves it.
 */
async function resolve(
  deps: ActionDependencies,
  incident: StoredIncident,
  reason: string,
  note: string | null,
): Promise<StoredIncident> {
  await tell(deps, incident, 'ticket:resolved', 'resolved', true, note);
  return save(deps, incident, 'resolved', 'scan', reason);
}

async function fail(
  deps: ActionDependencies,
  incident: StoredIncident,
  reason: string,
  allowed: boolean | null,
): Promise<StoredIncident> {
  await tell(deps, incident, 'ticket:failed', 'failed', allowed, `Not fixed: ${reason}.`);
  return save(deps, incident, 'failed', 'scan', reason);
}

/** The policy reads true while nothing of ours was running: a person fixed it (or it was never ours to fix). */
function resolveFixedElsewhere(deps: ActionDependencies, incident: StoredIncident): Promise<StoredIncident> {
  return resolve(
    deps,
    incident,
    'allowedToUseSSPR reads true (switched on outside this tool)',
    'Admin SSPR was switched on outside this tool.',
  );
}

async function tell(
  deps: ActionDependencies,
  incident: StoredIncident,
  key: string,
  event: 'updated' | 'resolved' | 'failed',
  allowed: boolean | null,
  note: string | null,
) {
  const { ticket } = incident;
  if (!ticket || !deps.tickets) return;
  await once(deps, incident, key, async (idempotencyKey) => {
    await deps.tickets!.update(
      ticket,
      ticketContent(incident, event, { allowedToUseSSPR: allowed, note }),
      idempotencyKey,
    );
    return true;
  });
  emit(deps, incident, 'TicketUpdated', {
    ticketSystem: ticket.system,
    ticketId: ticket.id,
    change: key.replace(/^ticket:/, ''),
  });
}

function emit<N extends EventName>(
  deps: ActionDependencies,
  incident: StoredIncident,
  name: N,
  properties: EventProperties<N>,
  measurements?: EventMeasurements<N>,
) {
  deps.telemetry?.event(
    name,
    { tenantId: incident.tenantId, incidentId: incident.id, ...properties },
    measurements,
  );
}

/** The last switch-off of admin SSPR in the audit log's retention, if it shows one. */
async function whoDisabledIt(deps: ActionDependencies): Promise<StoredIncident['disabledBy']> {
  const now = clock(deps);
  const events: AuditEvent[] = [];
  for await (const page of deps.auditLog.authorizationPolicyChanges({
    from: new Date(now.getTime() - RETENTION_MS + 60_000),
    to: now,
  }))
    events.push(...page);
  const off = adminSsprSwitches(events)
    .filter((change) => !change.allowedToUseSSPR)
    .at(-1);
  return off ? { by: off.by, at: off.at } : null;
}

/**
 * Journal first, act, journal the result: the action's idempotency key is `<incident>:<key>`.
 * An `intended` row left by another writer (a holder that died or lost the tenant lease) may have a
 * request still in flight: wait until it can no longer land, then take the row over and redo the
 * action, which looks before it writes. A failed action removes its own row, so the next scan need not wait.
 */
async function once<T>(
  deps: ActionDependencies,
  incident: StoredIncident,
  key: string,
  perform: (idempotencyKey: string) => Promise<T>,
  { idempotent = false } = {},
): Promise<T> {
  const { tenantId, id } = incident;
  const writer = deps.writer;
  const entry = await deps.state.intend(tenantId, id, key, clock(deps), writer?.id);
  if (entry.status === 'done') return entry.result as T;
  if (writer && entry.writer !== writer.id) {
    if (!idempotent) await formerWriterSettled(deps, writer, key, entry.writer);
    await deps.state.takeOver(tenantId, id, key, clock(deps), writer.id);
  }
  let result: T;
  try {
    result = await perform(`${id}:${key}`);
  } catch (err) {
    if (writer) await deps.state.abandon(tenantId, id, key, writer.id).catch(() => undefined);
    throw err;
  }
  await deps.state.complete(tenantId, id, key, result, clock(deps));
  return result;
}

async function formerWriterSettled(
  deps: ActionDependencies,
  writer: JournalWriter,
  key: string,
  former: string | undefined,
): Promise<void> {
  const waitMs = writer.since.getTime() + writer.inFlightMs - clock(deps).getTime();
  if (waitMs <= 0) return;
  deps.progress?.(
    `${key} was begun by ${former ?? 'an earlier scan'}, which no longer holds the tenant; waiting ${Math.ceil(waitMs / 1000)} s for anything it sent to land before looking again`,
  );
  await sleep(deps, waitMs);
}

/**
 * Writes the incident with a transition, only if nobody changed it since we read it (ETag). A
 * conflict is thrown, not papered over: this scan's step is dropped and the next scan redoes it from
 * the stored state, with the journal keeping external calls to one.
 */
async function save(
  deps: ActionDependencies,
  incident: StoredIncident,
  to: IncidentState,
  actor: string,
  reason: string,
): Promise<StoredIncident> {
  const now = clock(deps).toISOString();
  const transitions =
    to === incident.state
      ? incident.transitions
      : [...incident.transitions, { from: incident.state, to, at: now, actor, reason }];
  return deps.state.updateIncident({ ...incident, state: to, updatedAt: now, transitions });
}

function clock(deps: ActionDependencies): Date {
  return (deps.clock ?? (() => new Date()))();
}

function sleep(deps: ActionDependencies, ms: number): Promise<void> {
  return (deps.sleep ?? ((wait: number) => new Promise<void>((resolve) => setTimeout(resolve, wait))))(ms);
}
