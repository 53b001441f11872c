/**
 * Client-side pacing for Graph's per-tenant limit on directoryAudits (5 requests per 10 s).
 * A sliding window over *answers*: a request may start once fewer than `limit` requests were
 * answered (or are still in flight) in the last `windowMs`. Graph counts a request when it arrives,
 * which is before its answer reaches us, so counting from the answer can never undercount, however
 * late our own sends are delayed (a busy event loop, a slow network). The margin absorbs clock skew.
 */
export class SlidingWindowPacer {
  /** One entry per recent request: the time its answer came back, or Infinity while in flight. */
  private readonly slots: Array<{ at: number }> = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 10_000,
    private readonly marginMs = 150,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
    private readonly pollMs = 25,
  ) {}

  /** Resolves when the caller may send, in order; call the returned function when the answer arrives. */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** After a 429 the server's window is full: treat every slot as used from now on. */
  saturate(): void {
    const now = this.now();
    this.slots.length = 0;
    for (let i = 0; i < this.limit; i++) this.slots.push({ at: now });
  }

  private async waitForSlot(): Promise<() => void> {
    for (;;) {
      const now = this.now();
      for (let i = this.slots.length - 1; i >= 0; i--) {
        if (this.slots[i].at <= now - this.windowMs - this.marginMs) this.slots.splice(i, 1);
      }
      if (this.slots.length < this.limit) {
        const slot = { at: Infinity };
        this.slots.push(slot);
        return () => {
          slot.at = this.now();
        };
      }
      const oldest = Math.min(...this.slots.map((slot) => slot.at));
      // All slots in flight: poll until one is answered; else wait until the oldest answer ages out.
      await this.sleep(Number.isFinite(oldest) ? oldest + this.windowMs + this.marginMs - now : this.pollMs);
    }
  }
}
