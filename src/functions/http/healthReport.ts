import { AppError, toAppError } from '../../errors';
import type { SettingProblem } from '../../errors';
import type { Services } from '../../composition';

const PROBE_TIMEOUT_MS = 5_000;

type Check = { ok: true } | { ok: false; code: string };

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: {
    /** Setting names only, never their values. */
    config: { ok: true } | { ok: false; code: string; settings: string[] };
    stateStorage: Check;
    queue: { ok: true; approximateMessages: number } | { ok: false; code: string };
  };
  actionMode: string | null;
  tenants: Array<{
    tenantId: string;
    lastSucceededAt: string | null;
    lastSucceededScanId: string | null;
    lastStatus: string | null;
    /** The end of the last window whose results are durable (any scan: timer, HTTP or CLI). */
    checkpoint: string | null;
  }>;
}

/**
 * GET /api/health: are the settings valid, does storage answer, when did each tenant last scan well.
 * Every probe is bounded (5 s) and reports only codes; nothing here echoes a setting's value.
 */
export async function healthReport(
  settingProblems: readonly SettingProblem[],
  services: () => Services,
): Promise<HealthReport> {
  const settingNames = [...new Set(settingProblems.map((problem) => problem.setting))];
  if (settingNames.length > 0) {
    return {
      status: 'degraded',
      checks: {
        config: { ok: false, code: 'CONFIG.INVALID', settings: settingNames },
        stateStorage: notChecked(),
        queue: notChecked(),
      },
      actionMode: null,
      tenants: [],
    };
  }
  const app = services();
  const [stateStorage, queue] = await Promise.all([
    probe(() => app.scans.probe(AbortSignal.timeout(PROBE_TIMEOUT_MS)).then(() => ({ ok: true as const }))),
    probe(() =>
      app.queue
        .probe(AbortSignal.timeout(PROBE_TIMEOUT_MS))
        .then((found) => ({ ok: true as const, ...found })),
    ),
  ]);
  // Only from storage that answered: a dead account would keep the SDKs retrying long after we answered.
  const [summaries, checkpoints] = stateStorage.ok
    ? await Promise.all([
        bounded(app.scans.summaries(app.settings.tenants)).catch(() => undefined),
        Promise.all(
          app.settings.tenants.map((tenantId) =>
            bounded(app.app.state.readCheckpoint(tenantId)).catch(() => undefined),
          ),
        ),
      ])
    : [undefined, []];
  const tenants = app.settings.tenants.map((tenantId, index) => {
    const summary = summaries?.find((row) => row.tenantId === tenantId);
    return {
      tenantId,
      lastSucceededAt: summary?.lastSucceededAt ?? null,
      lastSucceededScanId: summary?.lastSucceededScanId ?? null,
      lastStatus: summary?.lastStatus ?? null,
      checkpoint: checkpoints[index]?.windowEnd.toISOString() ?? null,
    };
  });
  return {
    status: stateStorage.ok && queue.ok ? 'ok' : 'degraded',
    checks: { config: { ok: true }, stateStorage, queue },
    actionMode: app.config.actionMode,
    tenants,
  };
}

async function probe<T extends { ok: true }>(
  work: () => Promise<T>,
): Promise<T | { ok: false; code: string }> {
  try {
    return await bounded(work());
  } catch (err) {
    return { ok: false, code: toAppError(err).code };
  }
}

/** Storage SDKs retry for a long time; a health check answers within seconds. */
function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError('HEALTH.TIMEOUT', `No answer within ${PROBE_TIMEOUT_MS} ms.`, { transient: true }),
        ),
      PROBE_TIMEOUT_MS,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function notChecked(): { ok: false; code: string } {
  return { ok: false, code: 'NOT_CHECKED' };
}
