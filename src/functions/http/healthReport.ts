import { AppError, toAppError } from '../../errors';
import type { SettingProblem } from '../../errors';
import type { Services } from '../../composition';
import type { RegisteredTenant } from '../../usecases/ports/tenants';
import { scanOrder } from '../../usecases/scanFleet';

const PROBE_TIMEOUT_MS = 5_000;
/** Tenants listed in detail: a fleet of thousands is summed up in `fleet`, not listed whole. */
const HEALTH_TENANTS = 100;

const isFailing = (tenant: RegisteredTenant) => tenant.enabled && tenant.lastScan?.outcome === 'failed';

/** What an operator looks at first: enabled tenants failing, then never scanned, then the stalest. */
function healthOrder(tenants: RegisteredTenant[]): RegisteredTenant[] {
  const rank = (tenant: RegisteredTenant) => (isFailing(tenant) ? 0 : tenant.enabled ? 1 : 2);
  return scanOrder(tenants).sort((a, b) => rank(a) - rank(b));
}

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
  /** The whole registry in figures: how many tenants, enabled, and how their last scans ended. */
  fleet: {
    tenants: number;
    enabled: number;
    neverScanned: number;
    failing: number;
    /** Failing tenants first, then the stalest: at most HEALTH_TENANTS are listed below. */
    listed: number;
  } | null;
  tenants: Array<{
    tenantId: string;
    enabled: boolean;
    /** How its last scan ended (any scan: timer, HTTP or `scan --all`), with the error code when it failed. */
    lastScan: { at: string; outcome: string; code: string | null } | null;
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
      fleet: null,
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
  const registered = stateStorage.ok
    ? await bounded(app.app.tenants().then((registry) => registry.list())).catch(() => undefined)
    : undefined;
  const shown = registered ? healthOrder(registered).slice(0, HEALTH_TENANTS) : [];
  const ids = shown.map((tenant) => tenant.tenantId);
  const [summaries, checkpoints] = shown.length
    ? await Promise.all([
        bounded(app.scans.summaries(ids)).catch(() => undefined),
        Promise.all(
          ids.map((tenantId) => bounded(app.app.state.readCheckpoint(tenantId)).catch(() => undefined)),
        ),
      ])
    : [undefined, []];
  const tenants = shown.map((tenant, index) => {
    const summary = summaries?.find((row) => row.tenantId === tenant.tenantId);
    return {
      tenantId: tenant.tenantId,
      enabled: tenant.enabled,
      lastScan: tenant.lastScan
        ? { at: tenant.lastScan.at, outcome: tenant.lastScan.outcome, code: tenant.lastScan.code ?? null }
        : null,
      lastSucceededAt: summary?.lastSucceededAt ?? null,
      lastSucceededScanId: summary?.lastSucceededScanId ?? null,
      lastStatus: summary?.lastStatus ?? null,
      checkpoint: checkpoints[index]?.windowEnd.toISOString() ?? null,
    };
  });
  const fleet = registered && {
    tenants: registered.length,
    enabled: registered.filter((tenant) => tenant.enabled).length,
    neverScanned: registered.filter((tenant) => !tenant.lastScan).length,
    failing: registered.filter(isFailing).length,
    listed: shown.length,
  };
  return {
    status: stateStorage.ok && queue.ok ? 'ok' : 'degraded',
    checks: { config: { ok: true }, stateStorage, queue },
    actionMode: app.config.actionMode,
    fleet: fleet ?? null,
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
