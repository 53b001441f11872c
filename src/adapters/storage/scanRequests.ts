import type { TokenCredential } from '@azure/identity';
import { odata, RestError, TableClient } from '@azure/data-tables';
import { stateTable, storageFailed as storageFailedIn, createdOnce } from './storageAccess';
import { deleteRows } from './deleteRows';
import type {
  ScanRecord,
  ScanRecords,
  ScanSkip,
  ScanStatus,
  TenantScanSummary,
} from '../../usecases/ports/scans';

export const SCANS_TABLE = 'ssprScans';
const SCAN_PARTITION = 'scan';
const TENANT_PARTITION = 'tenant';
/** A Table string property holds 64 KiB of UTF-16: 32 K characters. Results larger than this are summarised. */
const MAX_RESULT_CHARS = 30_000;

interface ScanEntity {
  partitionKey: string;
  rowKey: string;
  tenantId: string;
  status: ScanStatus;
  requestedBy: 'timer' | 'http';
  principal?: string;
  mode?: string;
  from?: string;
  to?: string;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  attempts?: number;
  errorCode?: string;
  errorMessage?: string;
  poisoned?: boolean;
  result?: string;
  resultTruncated?: boolean;
}

/**
 * The ssprScans table (in STATE_STORAGE): one row per requested scan (PK `scan`, RK scan id), so
 * GET /api/scans/{id} is a point read, and one row per tenant (PK `tenant`, RK tenant id) with its
 * last and last successful scan. Rows are merged, never replaced, so a late writer adds, not erases.
 */
export class ScanRequests implements ScanRecords {
  private readonly client: TableClient;

  constructor(connection: string, credential: TokenCredential) {
    this.client = stateTable(connection, SCANS_TABLE, credential);
  }

  async queued(
    record: Pick<ScanRecord, 'scanId' | 'tenantId' | 'requestedBy' | 'principal' | 'mode' | 'window'>,
    now = new Date(),
  ): Promise<void> {
    const entity: ScanEntity = {
      partitionKey: SCAN_PARTITION,
      rowKey: record.scanId,
      tenantId: record.tenantId,
      status: 'queued',
      requestedBy: record.requestedBy,
      queuedAt: now.toISOString(),
      attempts: 0,
      ...(record.principal ? { principal: record.principal.slice(0, 256) } : {}),
      ...(record.mode ? { mode: record.mode } : {}),
      ...(record.window.from ? { from: record.window.from } : {}),
      ...(record.window.to ? { to: record.window.to } : {}),
    };
    await this.write(() => this.client.createEntity(entity));
  }

  async get(scanId: string): Promise<ScanRecord | undefined> {
    await this.ensureTable();
    try {
      return fromEntity(await this.client.getEntity<ScanEntity>(SCAN_PARTITION, scanId));
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw storageFailed(err);
    }
  }

  /** Marks the scan as running (creating the row if the message came without one). */
  async running(
    scanId: string,
    tenantId: string,
    requestedBy: 'timer' | 'http',
    attempts: number,
    now = new Date(),
  ): Promise<void> {
    await this.merge(scanId, {
      tenantId,
      requestedBy,
      status: 'running',
      startedAt: now.toISOString(),
      attempts,
      errorCode: '',
      errorMessage: '',
    });
  }

  async succeeded(scanId: string, tenantId: string, result: unknown, now = new Date()): Promise<void> {
    const { text, truncated } = fitResult(result);
    const finishedAt = now.toISOString();
    await this.merge(scanId, { status: 'succeeded', finishedAt, result: text, resultTruncated: truncated });
    await this.tenantSummary(tenantId, {
      lastScanId: scanId,
      lastStatus: 'succeeded',
      lastFinishedAt: finishedAt,
      lastSucceededAt: finishedAt,
      lastSucceededScanId: scanId,
    });
  }

  async skipped(scanId: string, tenantId: string, why: ScanSkip, now = new Date()): Promise<void> {
    const finishedAt = now.toISOString();
    await this.merge(scanId, {
      status: why.status,
      finishedAt,
      errorCode: why.code,
      errorMessage: why.message.slice(0, 1000),
    });
    await this.tenantSummary(tenantId, {
      lastScanId: scanId,
      lastStatus: why.status,
      lastFinishedAt: finishedAt,
    });
  }

  async failed(
    scanId: string,
    tenantId: string,
    error: { code: string; message: string },
    options: { poisoned?: boolean } = {},
    now = new Date(),
  ): Promise<void> {
    const finishedAt = now.toISOString();
    await this.merge(scanId, {
      tenantId,
      status: 'failed',
      finishedAt,
      errorCode: error.code,
      errorMessage: error.message.slice(0, 1000),
      ...(options.poisoned ? { poisoned: true } : {}),
    });
    await this.tenantSummary(tenantId, {
      lastScanId: scanId,
      lastStatus: 'failed',
      lastFinishedAt: finishedAt,
    });
  }

  async summaries(tenantIds: string[]): Promise<TenantScanSummary[]> {
    await this.ensureTable();
    return Promise.all(
      tenantIds.map(async (tenantId) => {
        try {
          const row = await this.client.getEntity<Omit<TenantScanSummary, 'tenantId'>>(
            TENANT_PARTITION,
            tenantId,
          );
          return {
            tenantId,
            lastScanId: row.lastScanId ?? null,
            lastStatus: row.lastStatus ?? null,
            lastFinishedAt: row.lastFinishedAt ?? null,
            lastSucceededAt: row.lastSucceededAt ?? null,
            lastSucceededScanId: row.lastSucceededScanId ?? null,
          };
        } catch (err) {
          if (err instanceof RestError && err.statusCode === 404) {
            return {
              tenantId,
              lastScanId: null,
              lastStatus: null,
              lastFinishedAt: null,
              lastSucceededAt: null,
              lastSucceededScanId: null,
            };
          }
          throw storageFailed(err);
        }
      }),
    );
  }

  /**
   * Deletes up to `limit` scan rows not written since `before` (the tenants' last-scan rows stay);
   * returns how many. By the row's Timestamp, because a row made by a retry may have no queuedAt.
   */
  async forgetBefore(before: Date, limit = 1_000): Promise<number> {
    await this.ensureTable();
    try {
      return await deleteRows(
        this.client,
        SCAN_PARTITION,
        odata`PartitionKey eq ${SCAN_PARTITION} and Timestamp lt ${before}`,
        limit,
      );
    } catch (err) {
      throw storageFailed(err);
    }
  }

  /** Reads at most one row: proves the table answers (a table not created yet answers too), for GET /api/health. */
  async probe(abortSignal: AbortSignal): Promise<void> {
    try {
      const pages = this.client
        .listEntities({ queryOptions: { select: ['RowKey'] }, abortSignal })
        .byPage({ maxPageSize: 1 });
      await pages.next();
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return;
      throw storageFailed(err);
    }
  }

  private async merge(scanId: string, fields: Partial<ScanEntity>): Promise<void> {
    await this.write(() =>
      this.client.upsertEntity({ partitionKey: SCAN_PARTITION, rowKey: scanId, ...fields }, 'Merge'),
    );
  }

  private async tenantSummary(tenantId: string, fields: Partial<TenantScanSummary>): Promise<void> {
    await this.write(() =>
      this.client.upsertEntity({ partitionKey: TENANT_PARTITION, rowKey: tenantId, ...fields }, 'Merge'),
    );
  }

  private async write(work: () => Promise<unknown>): Promise<void> {
    await this.ensureTable();
    try {
      await work();
    } catch (err) {
      throw storageFailed(err);
    }
  }

  private readonly ensureTable = createdOnce(() => this.client.createTable(), storageFailed);
}

function fromEntity(row: ScanEntity): ScanRecord {
  let result: unknown = null;
  if (row.result) {
    try {
      result = JSON.parse(row.result);
    } catch {
      result = null;
    }
  }
  return {
    scanId: row.rowKey,
    tenantId: row.tenantId,
    status: row.status,
    requestedBy: row.requestedBy,
    principal: row.principal || null,
    mode: row.mode || null,
    window: { from: row.from || null, to: row.to || null },
    queuedAt: row.queuedAt,
    startedAt: row.startedAt || null,
    finishedAt: row.finishedAt || null,
    attempts: row.attempts ?? 0,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    poisoned: row.poisoned ?? false,
    result,
    resultTruncated: row.resultTruncated ?? false,
  };
}

/**
 * The scan result fits a row (32 K characters) as is, or without the per-user findings (their counts
 * by verdict stay), or as counts only. The incidents endpoints and the CLI have the rest.
 */
function fitResult(result: unknown): { text: string; truncated: boolean } {
  const full = JSON.stringify(result);
  if (full.length <= MAX_RESULT_CHARS) return { text: full, truncated: false };
  const document = result as {
    findings?: Array<{ verdict: string }>;
    incidents?: Array<{ id: string; state: string; userIds: string[] }>;
  };
  const findingsByVerdict: Record<string, number> = {};
  for (const finding of document.findings ?? [])
    findingsByVerdict[finding.verdict] = (findingsByVerdict[finding.verdict] ?? 0) + 1;
  const summary = { ...(result as object), findings: undefined, findingsByVerdict };
  const shorter = JSON.stringify(summary);
  if (shorter.length <= MAX_RESULT_CHARS) return { text: shorter, truncated: true };
  const incidents = (document.incidents ?? []).map((incident) => ({
    id: incident.id,
    state: incident.state,
    admins: incident.userIds.length,
  }));
  const base = result as Record<string, unknown>;
  return {
    text: JSON.stringify({
      tenantId: base.tenantId,
      window: base.window,
      eventsRead: base.eventsRead,
      findingsByVerdict,
      incidents,
      graphRequests: base.graphRequests,
    }).slice(0, MAX_RESULT_CHARS),
    truncated: true,
  };
}

const storageFailed = (err: unknown) =>
  storageFailedIn(`The scan status table (${SCANS_TABLE} in STATE_STORAGE)`, err);
