import { nextCheckpoint, planWindow, RETENTION_MS } from '../../../src/core/window';

const NOW = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const base = { now: NOW, lookbackMs: 24 * HOUR, overlapMs: 10 * 60_000 };

describe('planWindow', () => {
  test('when there is no checkpoint, then the window is the lookback up to now', () => {
    expect(planWindow(base)).toEqual({
      from: new Date(NOW.getTime() - 24 * HOUR),
      to: NOW,
      clippedToRetention: false,
    });
  });

  test('when there is a checkpoint, then the window starts the overlap before it, to catch late events', () => {
    const checkpoint = new Date('2026-11-25T11:45:00Z');
    expect(planWindow({ ...base, checkpoint }).from).toEqual(new Date('2026-11-25T11:35:00Z'));
  });

  test('when the window reaches past the audit retention, then it is cut and says so', () => {
    const window = planWindow({ ...base, from: new Date(NOW.getTime() - 40 * 24 * HOUR) });
    expect(window).toMatchObject({ from: new Date(NOW.getTime() - RETENTION_MS), clippedToRetention: true });
  });

  test('when the whole window is older than the retention, then it is an error, not an empty scan', () => {
    const to = new Date(NOW.getTime() - 40 * 24 * HOUR);
    expect(() => planWindow({ ...base, from: new Date(to.getTime() - HOUR), to })).toThrow(
      expect.objectContaining({ code: 'SCAN.WINDOW_INVALID' }),
    );
  });

  test('when the whole window is older than the retention, then the error says the oldest time Graph keeps and what to do', () => {
    const to = new Date(NOW.getTime() - 40 * 24 * HOUR);
    const oldest = new Date(NOW.getTime() - RETENTION_MS).toISOString();
    expect(() => planWindow({ ...base, from: new Date(to.getTime() - HOUR), to })).toThrow(
      `Ask for a window that ends after ${oldest}`,
    );
    expect(() => planWindow({ ...base, from: new Date(to.getTime() - HOUR), to })).toThrow(
      'exports its audit logs',
    );
  });

  test('when from is not before to, or to is in the future, then it is a SCAN.WINDOW_INVALID error', () => {
    expect(() => planWindow({ ...base, from: NOW, to: NOW })).toThrow(
      expect.objectContaining({ code: 'SCAN.WINDOW_INVALID' }),
    );
    expect(() => planWindow({ ...base, to: new Date(NOW.getTime() + HOUR) })).toThrow(
      expect.objectContaining({ code: 'SCAN.WINDOW_INVALID' }),
    );
  });
});

describe('nextCheckpoint', () => {
  const at = (time: string) => new Date(`2026-11-25T${time}:00Z`);
  const window = (from: Date, to: Date) => ({ from, to, clippedToRetention: false });
  test('when there is none yet, then it moves to the window end', () => {
    expect(nextCheckpoint(window(at('10:00'), at('11:00')), undefined)).toEqual(at('11:00'));
  });
  test('when the window leaves a gap after the checkpoint, then it does not move', () => {
    expect(nextCheckpoint(window(at('10:30'), at('11:00')), at('10:00'))).toBeUndefined();
  });
  test('when the window ends before the checkpoint, then it never moves back', () => {
    expect(nextCheckpoint(window(at('08:00'), at('09:00')), at('10:00'))).toBeUndefined();
  });
  test('when the window overlaps the checkpoint and ends later, then it moves forward', () => {
    expect(nextCheckpoint(window(at('09:50'), at('11:00')), at('10:00'))).toEqual(at('11:00'));
  });
  test('when the checkpoint is older than the retention (a long outage), then the cut window still moves it, so it never sticks', () => {
    const old = new Date(NOW.getTime() - 40 * 24 * HOUR);
    const window = planWindow({ ...base, checkpoint: old });
    expect(window.clippedToRetention).toBe(true);
    expect(nextCheckpoint(window, old)).toEqual(NOW);
  });
});
