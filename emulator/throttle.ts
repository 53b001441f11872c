const WINDOW_MS = 10_000;

/** Sliding 10-second window, as Graph applies to directoryAudits per app per tenant. */
export class SlidingWindowThrottle {
  private readonly admitted: number[] = [];

  constructor(private readonly limit: number) {}

  /** Returns undefined when admitted, else the whole seconds until a slot frees. */
  tryAdmit(nowMs = Date.now()): number | undefined {
    const wait = this.check(nowMs);
    if (wait === undefined) this.admit(nowMs);
    return wait;
  }

  /** Whole seconds until a slot frees, or undefined when a request now would be admitted. Counts nothing. */
  check(nowMs = Date.now()): number | undefined {
    if (this.limit === 0) return undefined;
    while (this.admitted.length && this.admitted[0] <= nowMs - WINDOW_MS) this.admitted.shift();
    if (this.admitted.length < this.limit) return undefined;
    return Math.max(1, Math.ceil((this.admitted[0] + WINDOW_MS - nowMs) / 1000));
  }

  /** Counts an admitted request. Rejected ones are not counted, so a client that honours Retry-After gets through. */
  admit(nowMs = Date.now()): void {
    if (this.limit > 0) this.admitted.push(nowMs);
  }
}
