import type { ScenarioFault } from './scenarioSchema';

interface ArmedFault {
  fault: ScenarioFault;
  pattern: RegExp;
  remaining: number;
}

/** Scenario faults, each firing on the first matching requests until its `times` run out. */
export class FaultInjector {
  private readonly armed: ArmedFault[];
  private releaseHeld!: () => void;
  /** Resolves once `release()` is called: requests a `hold` fault caught wait for it. */
  readonly released = new Promise<void>((resolve) => {
    this.releaseHeld = resolve;
  });
  /** How many requests a `hold` fault has caught so far (still waiting or already answered). */
  heldCount = 0;

  constructor(faults: ScenarioFault[]) {
    this.armed = faults.map((fault) => ({ fault, pattern: new RegExp(fault.match), remaining: fault.times }));
  }

  /** rawUrl is path?query as received; the decoded form is tried too so patterns can be written readably. */
  take(rawUrl: string, inBatch: boolean): ScenarioFault | undefined {
    const decoded = safeDecode(rawUrl);
    for (const armed of this.armed) {
      if (armed.remaining === 0 || armed.fault.inBatch !== inBatch) continue;
      if (!armed.pattern.test(rawUrl) && !armed.pattern.test(decoded)) continue;
      if (armed.remaining > 0) armed.remaining--;
      if (armed.fault.kind === 'hold') this.heldCount++;
      return armed.fault;
    }
    return undefined;
  }

  /** Lets every held request (and any later one a `hold` fault catches) be answered. */
  release(): void {
    this.releaseHeld();
  }
}

function safeDecode(url: string): string {
  try {
    return decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    return url;
  }
}
