/**
 * Client-side pacing for Graph's per-tenant limit on directoryAudits (5 requests per 10 s).
 * A sliding window: a request may start once fewer than `limit` requests started in the last
 * `windowMs`. The small margin absorbs the network jitter between our clock and Graph's.
 */
export class SlidingWindowPacer {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 10_000,
    private readonly marginMs = 150,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when the caller may send; callers are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** After a 429 the server's window is full: treat every slot as used from now on. */
  saturate(): void {
    const now = this.now();
    this.starts.length = 0;
    for (let i = 0; i < this.limit; i++) this.starts.push(now);
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && this.starts[0] <= now - this.windowMs - this.marginMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      await this.sleep(this.starts[0] + this.windowMs + this.marginMs - now);
    }
  }
}
