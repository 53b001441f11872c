import { toAppError } from '../errors';
import type { Finding, SsprFailure, Window } from '../core/model';
import { RETENTION_MS } from '../core/window';
import type { GraphStats } from './ports/graph';
import type { StateStore } from './ports/state';
import type { Telemetry } from './ports/telemetry';

interface RecordDependencies {
  state: StateStore;
  graphStats: GraphStats;
  telemetry?: Telemetry;
  progress?: (message: string) => void;
}

/**
 * Events older than the audit retention (plus a day) can never be in a window again: forget them, so
 * the lookup of recorded events each scan makes stays one month long. Best effort: everything this
 * scan found is already durable, and the next scan tries again.
 */
export async function forgetUnreadableEvents(
  deps: RecordDependencies,
  tenantId: string,
  now: Date,
): Promise<void> {
  try {
    await deps.state.forgetEventsBefore(tenantId, new Date(now.getTime() - RETENTION_MS - 86_400_000));
  } catch (err) {
    deps.progress?.(
      `could not forget old recorded events (${toAppError(err).code}); the next scan tries again`,
    );
  }
}

export function recordScan(
  deps: RecordDependencies,
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
