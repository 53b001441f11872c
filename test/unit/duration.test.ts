import { formatDuration, parseDuration } from '../../src/core/duration';

describe('formatDuration', () => {
  test.each([
    [30 * 60_000, '30m'],
    [2 * 3_600_000, '2h'],
    [86_400_000, '1d'],
    [30 * 86_400_000, '30d'],
    [90 * 60_000, '90m'],
    [90_000, '90s'],
  ])('when %d ms is shown, then it reads %s, as people write it', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('when a shown duration is read back, then it is the same duration', () => {
    for (const ms of [5 * 60_000, 36 * 3_600_000, 7 * 86_400_000, 45_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
