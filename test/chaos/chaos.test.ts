import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { concurrentScans } from '../../bench/chaos/concurrency';
import { planTrial, runTrials } from '../../bench/chaos/trial';

/**
 * A small default run of `npm run chaos` (bench/chaos.ts): a few trials of a full scan in ticket and
 * remediate modes with random emulator faults and a kill -9, each followed by reruns until a scan
 * exits 0, then the invariants (no confirmed admin lost, one ticket per incident, at most one job,
 * no skipped event, readable state, no secret in any output or telemetry). The seed is fixed so the
 * suite is repeatable (it mixes both modes, kills before and after the lease, $batch and page faults);
 * CHAOS_SEED picks another. `npm run chaos` runs 200 trials with a fresh seed.
 */
const SEED = Number(process.env.CHAOS_SEED ?? 2502);
const TRIALS = [0, 1, 2, 3, 4, 5];

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe(`chaos (CHAOS_SEED=${SEED})`, () => {
  test('when the plan is drawn from the seed, then it is the same every time (a failing trial can be replayed)', () => {
    expect(JSON.stringify(planTrial(SEED, 3))).toBe(JSON.stringify(planTrial(SEED, 3)));
    expect(TRIALS.map((trial) => planTrial(SEED, trial).mode)).toEqual(expect.arrayContaining(['ticket', 'remediate']));
  });

  test(`when ${TRIALS.length} trials run with faults and kill -9, then no invariant is violated`, async () => {
    const outcomes = await runTrials(SEED, TRIALS, azurite, { concurrency: TRIALS.length });
    const violations = outcomes.flatMap((o) => o.violations.map((v) => `trial ${o.trial} (CHAOS_SEED=${SEED} CHAOS_ONLY=${o.trial}): ${v}`));
    expect(violations).toEqual([]);
    // Every trial ended with a scan that exited 0 and an incident (each tenant has failing admins).
    expect(outcomes.map((o) => o.finalState)).not.toContain('no incident');
  }, 150_000);

  test('when 10 scans of one tenant start at once, then one writes, nine are refused with SCAN.TENANT_BUSY, one ticket, one job', async () => {
    const outcome = await concurrentScans(azurite, 10);
    expect(outcome.violations).toEqual([]);
    expect(outcome).toMatchObject({ winners: 1, refused: 9, opened: 1, jobs: 1 });
  }, 90_000);
});
