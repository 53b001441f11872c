import { AppError } from '../errors';
import type { Window } from './model';

/** Audit logs are kept 7 days (Free) or 30 days (P1/P2): we can never look further back than that. */
export const RETENTION_MS = 30 * 86_400_000;

export interface WindowRequest {
  now: Date;
  from?: Date;
  to?: Date;
  checkpoint?: Date;
  lookbackMs: number;
  overlapMs: number;
}

export interface PlannedWindow extends Window {
  /** Set when the window was cut to the audit retention period. */
  clippedToRetention: boolean;
}

/**
 * The window to read: an explicit --from/--to wins; otherwise the last checkpoint minus the overlap
 * (events land up to ~5 minutes late), or the lookback on a first run.
 */
export function planWindow(request: WindowRequest): PlannedWindow {
  const to = request.to ?? request.now;
  const from =
    request.from ??
    (request.checkpoint
      ? new Date(request.checkpoint.getTime() - request.overlapMs)
      : new Date(to.getTime() - request.lookbackMs));
  if (from.getTime() >= to.getTime()) {
    throw new AppError(
      'SCAN.WINDOW_INVALID',
      `The window start (${from.toISOString()}) must be before its end (${to.toISOString()}).`,
    );
  }
  if (to.getTime() > request.now.getTime() + 60_000) {
    throw new AppError(
      'SCAN.WINDOW_INVALID',
      `The window end (${to.toISOString()}) is in the future. Give an end up to now, or none: the window then ends now.`,
    );
  }
  const oldest = request.now.getTime() - RETENTION_MS;
  if (to.getTime() <= oldest) {
    const since = new Date(oldest).toISOString();
    throw new AppError(
      'SCAN.WINDOW_INVALID',
      `The window ends (${to.toISOString()}) before the oldest audit event Graph still has (${since}: Entra keeps audit logs 30 days). ` +
        `Ask for a window that ends after ${since}. Older events can only be read where the tenant exports its audit logs (a diagnostic setting to Log Analytics or a storage account), if it does.`,
    );
  }
  if (from.getTime() < oldest) return { from: new Date(oldest), to, clippedToRetention: true };
  return { from, to, clippedToRetention: false };
}

/**
 * The checkpoint only moves forward, and only when this window left no gap after it. A window cut to
 * the retention leaves a gap nobody can read any more, so it counts as no gap.
 */
export function nextCheckpoint(window: PlannedWindow, checkpoint: Date | undefined): Date | undefined {
  if (!checkpoint) return window.to;
  if (window.from.getTime() > checkpoint.getTime() && !window.clippedToRetention) return undefined;
  return window.to.getTime() > checkpoint.getTime() ? window.to : undefined;
}
