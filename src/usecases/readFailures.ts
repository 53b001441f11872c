import { classifyEvent, markFlowsPastAdminGate, wentPastAdminGate } from '../core/classify';
import type { SsprFailure, Window } from '../core/model';
import type { Signature } from '../core/signatures';
import type { AuditLogReader } from './ports/graph';

export interface UnmatchedReason {
  reason: string;
  count: number;
}

/** At most this many distinct unknown texts are listed, each cut to this length: output stays bounded. */
const MAX_UNMATCHED_REASONS = 20;
const MAX_REASON_CHARS = 300;

export interface FailureReading {
  failures: SsprFailure[];
  eventsRead: number;
  unattributed: number;
  unmatchedReasons: UnmatchedReason[];
}

/**
 * Streams the audit pages and keeps only new failures, and the flows (correlation ids) that went past the
 * admin gate: memory grows with failures and such flows, not with events.
 */
export async function readFailures(
  deps: { auditLog: AuditLogReader; signatures: Signature[]; progress?: (message: string) => void },
  window: Window,
  alreadyRecorded: Set<string>,
): Promise<FailureReading> {
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
