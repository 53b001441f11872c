import { SlidingWindowPacer } from '../../../src/adapters/graph/pacer';
import { parseRetryAfter, retryDelayMs } from '../../../src/adapters/http/retryPolicy';

/** A clock that only moves when the pacer sleeps, so the test is exact and instant. */
function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('SlidingWindowPacer', () => {
  test('when 12 requests are made at 5 per 10 s, then no 10-second window ever holds more than 5 starts', async () => {
    const clock = fakeClock();
    const pacer = new SlidingWindowPacer(5, 10_000, 100, clock.now, clock.sleep);
    const starts: number[] = [];
    for (let i = 0; i < 12; i++) {
      const answered = await pacer.acquire();
      starts.push(clock.now());
      answered();
    }
    for (const start of starts)
      expect(starts.filter((t) => t >= start && t < start + 10_000).length).toBeLessThanOrEqual(5);
    expect(starts.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(starts[5]).toBe(10_100);
    expect(starts[10]).toBe(20_200);
  });

  test('when Graph answered 429, then the next request waits a whole window', async () => {
    const clock = fakeClock();
    const pacer = new SlidingWindowPacer(5, 10_000, 0, clock.now, clock.sleep);
    (await pacer.acquire())();
    pacer.saturate();
    await pacer.acquire();
    expect(clock.now()).toBe(10_000);
  });

  test('when callers acquire concurrently, then they are served in order without exceeding the limit', async () => {
    const clock = fakeClock();
    const pacer = new SlidingWindowPacer(2, 1_000, 0, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) => pacer.acquire().then((answered) => (order.push(i), answered()))),
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });

  test('when an answer comes back late, then the window counts from the answer, not the send', async () => {
    const clock = fakeClock();
    const pacer = new SlidingWindowPacer(1, 10_000, 0, clock.now, clock.sleep, 100);
    const first = await pacer.acquire();
    await clock.sleep(3_000); // the first request takes 3 s to be answered
    first();
    await pacer.acquire();
    expect(clock.now()).toBe(13_000);
  });

  test('when every slot is still in flight, then the next request waits for that answer, then a window', async () => {
    let now = 0;
    let polls = 0;
    let answerFirst = () => {};
    // Each poll advances the clock; the 5th poll is when the first answer arrives.
    const sleep = async (ms: number) => {
      now += ms;
      if (++polls === 5) answerFirst();
    };
    const pacer = new SlidingWindowPacer(1, 10_000, 0, () => now, sleep, 100);
    answerFirst = await pacer.acquire();
    await pacer.acquire();
    expect(now).toBe(500 + 10_000);
  });
});

describe('retry delays', () => {
  const backoff = { baseMs: 500, capMs: 30_000, random: () => 1 };
  test('when Graph sends Retry-After in seconds (even fractional) or as a date, then that wait is used', () => {
    expect(retryDelayMs(0, '7', backoff)).toBe(7_000);
    expect(parseRetryAfter('2.128')).toBe(2_128);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:10 GMT', Date.parse('2026-11-25T12:00:00Z'))).toBe(10_000);
  });
  test('when there is no Retry-After, then the backoff doubles per attempt with jitter, up to the cap', () => {
    expect([0, 1, 2, 10].map((attempt) => retryDelayMs(attempt, null, backoff))).toEqual([
      500, 1_000, 2_000, 30_000,
    ]);
    expect(retryDelayMs(3, undefined, { ...backoff, random: () => 0.25 })).toBe(1_000);
  });
  test('when Retry-After is absurdly long, then the wait is capped', () => {
    expect(retryDelayMs(0, '86400', backoff)).toBe(120_000);
  });
});
