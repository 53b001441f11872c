import { randomUUID } from 'node:crypto';
import type { ActionMode } from '../usecases/incidentActions';
import { toAppError } from '../errors';
import type { ScanMessage } from './scanMessage';
import type { Services } from './services';

export interface ScanAsk {
  tenantId: string;
  requestedBy: 'timer' | 'http';
  principal?: string | null;
  mode?: ActionMode;
  from?: string;
  to?: string;
}

/**
 * Records the scan as `queued` and puts one message on the queue. If the queue refuses, the row says
 * `failed` (QUEUE.UNAVAILABLE) and the error is thrown: nobody waits for a scan that was never queued.
 */
export async function enqueueScan(services: Services, ask: ScanAsk): Promise<string> {
  const scanId = randomUUID();
  const window = { from: ask.from ?? null, to: ask.to ?? null };
  await services.scans.queued({
    scanId,
    tenantId: ask.tenantId,
    requestedBy: ask.requestedBy,
    principal: ask.principal ?? null,
    mode: ask.mode ?? null,
    window,
  });
  const message: ScanMessage = {
    tenantId: ask.tenantId,
    scanId,
    requestedBy: ask.requestedBy,
    ...(ask.mode ? { mode: ask.mode } : {}),
    ...(ask.from ? { from: ask.from } : {}),
    ...(ask.to ? { to: ask.to } : {}),
  };
  try {
    await services.queue.send(message);
  } catch (err) {
    const error = toAppError(err);
    await services.scans
      .failed(scanId, ask.tenantId, { code: error.code, message: error.message })
      .catch(() => undefined);
    throw error;
  }
  return scanId;
}
