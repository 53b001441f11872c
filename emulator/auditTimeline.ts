import type { DirectoryAudit } from './auditRecord';
import type { AuditFilter } from './auditFilter';
import { NOISE_ACTIVITIES, type NoiseEvents } from './noiseEvents';
import { SSPR_SERVICE, type TimelineEntry } from './timelineEntry';

/**
 * Position after the last item served, newest first. Keyset rather than offset so events added
 * while a client is paging (a PATCH writes an audit record) neither repeat nor vanish.
 * Order: time descending; at equal time, scenario events (by id) before noise (by index descending).
 */
export interface Cursor {
  t: number;
  s: 0 | 1;
  k: string | number;
}

export interface AuditPage {
  items: DirectoryAudit[];
  next?: Cursor;
}

type Candidate = { cursor: Cursor; render: () => DirectoryAudit };

export class AuditTimeline {
  private readonly entries: TimelineEntry[];
  private lateVisible = false;

  constructor(
    entries: TimelineEntry[],
    private readonly noise: NoiseEvents,
  ) {
    this.entries = [...entries].sort(compareEntries);
  }

  add(entry: TimelineEntry): void {
    this.entries.push(entry);
    this.entries.sort(compareEntries);
  }

  releaseLateEvents(): void {
    this.lateVisible = true;
  }

  page(filter: AuditFilter, after: Cursor | undefined, size: number): AuditPage {
    const merged = mergeNewestFirst(
      this.scenarioCandidates(filter, after),
      this.noiseCandidates(filter, after),
    );
    const items: DirectoryAudit[] = [];
    let last: Cursor | undefined;
    for (const candidate of merged) {
      if (items.length === size) return { items, next: last };
      items.push(candidate.render());
      last = candidate.cursor;
    }
    return { items };
  }

  private *scenarioCandidates(filter: AuditFilter, after: Cursor | undefined): Generator<Candidate> {
    for (const entry of this.entries) {
      const cursor: Cursor = { t: entry.timeMs, s: 0, k: entry.id };
      if (after && compareCursors(cursor, after) <= 0) continue;
      if (entry.late && !this.lateVisible) continue;
      if (entry.timeMs < filter.fromMs || entry.timeMs > filter.toMs) continue;
      if (!allEqual(filter.services, entry.service) || !allEqual(filter.activities, entry.activity)) continue;
      if (!allStartWith(filter.activityPrefixes, entry.activity)) continue;
      yield { cursor, render: entry.render };
    }
  }

  private *noiseCandidates(filter: AuditFilter, after: Cursor | undefined): Generator<Candidate> {
    if (this.noise.count === 0 || !allEqual(filter.services, SSPR_SERVICE)) return;
    if (!NOISE_ACTIVITIES.some((activity) => allStartWith(filter.activityPrefixes, activity))) return;
    if (!NOISE_ACTIVITIES.some((activity) => allEqual(filter.activities, activity))) return;
    let high = this.noise.lastIndexAtOrBefore(filter.toMs);
    if (after) {
      // Noise at the cursor's own instant still follows a scenario event there.
      high = Math.min(
        high,
        after.s === 1 ? (after.k as number) - 1 : this.noise.lastIndexAtOrBefore(after.t),
      );
    }
    const low = this.noise.firstIndexAtOrAfter(filter.fromMs);
    for (let index = Math.min(high, this.noise.count - 1); index >= low; index--) {
      if (!allEqual(filter.activities, this.noise.activity(index))) continue;
      if (!allStartWith(filter.activityPrefixes, this.noise.activity(index))) continue;
      yield {
        cursor: { t: this.noise.timeMs(index), s: 1, k: index },
        render: () => this.noise.render(index),
      };
    }
  }
}

function* mergeNewestFirst(a: Generator<Candidate>, b: Generator<Candidate>): Generator<Candidate> {
  let left = a.next();
  let right = b.next();
  while (!left.done || !right.done) {
    if (right.done || (!left.done && compareCursors(left.value.cursor, right.value.cursor) < 0)) {
      yield left.value as Candidate;
      left = a.next();
    } else {
      yield right.value;
      right = b.next();
    }
  }
}

/** Negative when x is served before y. */
export function compareCursors(x: Cursor, y: Cursor): number {
  if (x.t !== y.t) return y.t - x.t;
  if (x.s !== y.s) return x.s - y.s;
  if (x.s === 1) return (y.k as number) - (x.k as number);
  return x.k < y.k ? -1 : x.k > y.k ? 1 : 0;
}

function compareEntries(x: TimelineEntry, y: TimelineEntry): number {
  return compareCursors({ t: x.timeMs, s: 0, k: x.id }, { t: y.timeMs, s: 0, k: y.id });
}

function allStartWith(prefixes: string[], actual: string): boolean {
  return prefixes.every((prefix) => actual.toLowerCase().startsWith(prefix.toLowerCase()));
}

function allEqual(wanted: string[], actual: string): boolean {
  return wanted.every((value) => value.toLowerCase() === actual.toLowerCase());
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(token: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    const validKey = value.s === 1 ? Number.isInteger(value.k) : typeof value.k === 'string';
    if (typeof value.t !== 'number' || (value.s !== 0 && value.s !== 1) || !validKey) return undefined;
    return value;
  } catch {
    return undefined;
  }
}
