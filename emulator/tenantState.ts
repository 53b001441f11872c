import { randomBytes } from 'node:crypto';
import { AuditTimeline } from './auditTimeline';
import { Directory } from './directory';
import { FaultInjector } from './faults';
import { NoiseEvents } from './noiseEvents';
import type { RequestLogEntry } from './requestLog';
import type { PolicyState, ValidScenario } from './scenarioSchema';
import { scenarioEntries } from './scenarioEvents';
import { stableId } from './stableIds';
import { SlidingWindowThrottle } from './throttle';
import { TokenRegistry } from './tokens';

/** Everything the Graph and token servers share for one emulated tenant. */
export class TenantState {
  readonly directory: Directory;
  readonly timeline: AuditTimeline;
  readonly throttle: SlidingWindowThrottle;
  readonly faults: FaultInjector;
  /** Shared by every tenant of one emulator: a token says which tenant it was issued for. */
  readonly tokens: TokenRegistry;
  /** Every request the emulator received (all its tenants, in a fleet), in order. */
  readonly requests: RequestLogEntry[];
  readonly managedIdentityClientId: string;
  /** Marks $batch items dispatched in-process; random so no outside client can claim to be one. */
  readonly batchItemSecret = randomBytes(16).toString('hex');
  policy: PolicyState;
  graphUrl = '';
  private readonly startedAt = Date.now();

  constructor(
    readonly scenario: ValidScenario,
    readonly now: Date,
    shared: { tokens: TokenRegistry; requests: RequestLogEntry[] } = {
      tokens: new TokenRegistry(),
      requests: [],
    },
  ) {
    this.tokens = shared.tokens;
    this.requests = shared.requests;
    this.directory = new Directory(scenario, () => this.clockMs(), now);
    this.timeline = new AuditTimeline(
      scenarioEntries(scenario, this.directory, now),
      new NoiseEvents(scenario, this.directory, now),
    );
    this.throttle = new SlidingWindowThrottle(scenario.throttle.requestsPer10s);
    this.faults = new FaultInjector(scenario.faults);
    this.policy = scenario.policy;
    this.managedIdentityClientId = stableId(scenario.tenantId, 'managed-identity');
  }

  /** The scenario clock keeps running, so records written now sort after the seeded ones. */
  clockMs(): number {
    return this.now.getTime() + (Date.now() - this.startedAt);
  }
}
