import type { ScanMessage } from '../../core/scanMessage';

/** Rows of the ssprScans table: what was asked, what ran, how it ended. */
export type ScanStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped-busy'
  | 'skipped-disabled'
  | 'skipped-unregistered';
/** A scan in one of these states is not run again when its message is delivered twice. */
export const FINAL_STATUSES: readonly ScanStatus[] = [
  'succeeded',
  'skipped-busy',
  'skipped-disabled',
  'skipped-unregistered',
];

/** Why a scan did not run, and it is not a failure: another holder had the tenant, or it is disabled or gone. */
export interface ScanSkip {
  status: 'skipped-busy' | 'skipped-disabled' | 'skipped-unregistered';
  code: 'SCAN.TENANT_BUSY' | 'SCAN.TENANT_DISABLED' | 'SCAN.UNKNOWN_TENANT';
  message: string;
}

export interface ScanRecord {
  scanId: string;
  tenantId: string;
  status: ScanStatus;
  requestedBy: 'timer' | 'http';
  /** The App Service authentication principal that asked, when there was one. */
  principal: string | null;
  /** The mode asked for; the scan runs the safer of it and ACTION_MODE. */
  mode: string | null;
  window: { from: string | null; to: string | null };
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** How many times the queue delivered it (the Functions host retries a failed scan up to 5 times). */
  attempts: number;
  error: { code: string; message: string } | null;
  /** True when the host gave up on it (last try failed, or it reached the poison queue). */
  poisoned: boolean;
  /** `scan --json`'s document, or a summary of it when it is too large for a table row. */
  result: unknown;
  resultTruncated: boolean;
}

/** The last scan of one tenant, for GET /api/health. */
export interface TenantScanSummary {
  tenantId: string;
  lastScanId: string | null;
  lastStatus: ScanStatus | null;
  lastFinishedAt: string | null;
  lastSucceededAt: string | null;
  lastSucceededScanId: string | null;
}

/** The record of every requested scan, and of each tenant's last one. */
export interface ScanRecords {
  queued(
    record: Pick<ScanRecord, 'scanId' | 'tenantId' | 'requestedBy' | 'principal' | 'mode' | 'window'>,
  ): Promise<void>;
  get(scanId: string): Promise<ScanRecord | undefined>;
  /** Marks the scan as running (creating the row if the message came without one). */
  running(scanId: string, tenantId: string, requestedBy: 'timer' | 'http', attempts: number): Promise<void>;
  succeeded(scanId: string, tenantId: string, result: unknown): Promise<void>;
  skipped(scanId: string, tenantId: string, why: ScanSkip): Promise<void>;
  failed(
    scanId: string,
    tenantId: string,
    error: { code: string; message: string },
    options?: { poisoned?: boolean },
  ): Promise<void>;
  summaries(tenantIds: string[]): Promise<TenantScanSummary[]>;
  /** Deletes up to `limit` scan rows not written since `before`; returns how many. */
  forgetBefore(before: Date, limit?: number): Promise<number>;
}

/** Where scan requests wait for a worker (the sspr-scans queue). */
export interface ScanQueue {
  /** `delaySeconds`: the message stays invisible that long (the timer spreads a cycle's scans). */
  send(message: ScanMessage, options?: { delaySeconds?: number }): Promise<void>;
}
