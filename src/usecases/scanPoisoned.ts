import { clip } from '../errors';
import type { Telemetry } from './ports/telemetry';

/** The log line an alert rule looks for (`traces | where message startswith "ScanPoisoned"`). */
export const SCAN_POISONED = 'ScanPoisoned';

/** A scan the Functions host gave up on. Ids and codes only: no UPNs, tokens or payloads. */
export interface PoisonedScan {
  /** `last-attempt`: the fifth try failed here; `poison-queue`: the message reached sspr-scans-poison
   *  (e.g. the last try timed out or the worker died); `invalid-message`: not a scan message at all. */
  source: 'last-attempt' | 'poison-queue' | 'invalid-message';
  scanId: string | null;
  tenantId: string | null;
  requestedBy: string | null;
  dequeueCount: number;
  code: string;
  reason: string;
  invocationId: string;
}

/** What a queue-triggered use case sees of its invocation (the Functions InvocationContext fits it). */
export interface Invocation {
  invocationId: string;
  triggerMetadata?: Record<string, unknown>;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The one place a poisoned scan is reported, so it is never silent: an error-level log line
 * `ScanPoisoned {json}` and the `ScanPoisoned` event the alert rule counts (flushed before returning).
 */
export async function reportScanPoisoned(
  context: Invocation,
  telemetry: Telemetry,
  scan: Omit<PoisonedScan, 'invocationId'>,
): Promise<PoisonedScan> {
  const reported: PoisonedScan = {
    ...scan,
    reason: clip(scan.reason, 1000),
    invocationId: context.invocationId,
  };
  context.error(`${SCAN_POISONED} ${JSON.stringify(reported)}`);
  telemetry
    .withContext({ invocationId: context.invocationId, tenantId: scan.tenantId ?? undefined })
    .event(
      'ScanPoisoned',
      { tenantId: scan.tenantId ?? undefined, code: scan.code },
      { dequeueCount: scan.dequeueCount },
    );
  await telemetry.flush();
  return reported;
}
