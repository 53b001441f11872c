/**
 * `npm run chaos`: N trials (CHAOS_TRIALS, default 200) of a full scan in ticket and remediate modes
 * against the tenant emulator with random Graph faults, webhook failures and a kill -9 of the scan at
 * a random moment, each followed by reruns until a scan exits 0; then 10 concurrent scans of one
 * tenant. One Azurite for the run; every trial has its own tenant id.
 *
 *   CHAOS_SEED=1234 npm run chaos           # replay a run
 *   CHAOS_SEED=1234 CHAOS_ONLY=17 npm run chaos   # replay one trial (comma-separated list allowed)
 *   CHAOS_CONCURRENCY=4                     # trials at once (default 4)
 *   CHAOS_VERBOSE=1                         # print every scan of every trial (exit, verdicts)
 */
import { randomInt } from 'node:crypto';
import { startAzurite } from '../src/local/azurite';
import { concurrentScans } from './chaos/concurrency';
import { runTrials, type TrialOutcome } from './chaos/trial';

function intSetting(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}.`);
  return value;
}

async function main(): Promise<number> {
  const seed = intSetting('CHAOS_SEED', randomInt(1, 2 ** 31));
  const count = intSetting('CHAOS_TRIALS', 200);
  const concurrency = intSetting('CHAOS_CONCURRENCY', 4);
  const only = (process.env.CHAOS_ONLY ?? '').split(',').filter(Boolean).map(Number);
  const trials = only.length ? only : Array.from({ length: count }, (_, n) => n);
  process.stdout.write(
    `chaos: seed ${seed} (CHAOS_SEED=${seed} replays), ${trials.length} trials, ${concurrency} at a time\n`,
  );

  const started = Date.now();
  const azurite = await startAzurite();
  // Ctrl-C: stop Azurite too (it is a child process); scans in flight end on their own.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void azurite.stop().finally(() => process.exit(130));
    });
  }
  let done = 0;
  try {
    const outcomes = await runTrials(seed, trials, azurite, {
      concurrency,
      onDone: (o: TrialOutcome) => {
        done++;
        const status = o.violations.length ? `VIOLATION ×${o.violations.length}` : 'ok';
        process.stdout.write(
          `[${String(done).padStart(3)}/${trials.length}] trial ${o.trial} (seed ${o.seed}) ${o.mode}: ${o.faults.length} faults, kill ${o.kill}${o.killed ? ' (killed)' : ''}, ` +
            `${o.scans} scans, ${o.busyRefusals} busy, ${o.failedReruns.length} failed reruns → ${o.finalState}, ${(o.ms / 1000).toFixed(1)} s: ${status}\n`,
        );
        for (const fault of o.faults) process.stdout.write(`        fault: ${fault}\n`);
        for (const violation of o.violations) process.stdout.write(`      ✗ ${violation}\n`);
      },
    });
    process.stdout.write('chaos: 10 concurrent scans of one tenant …\n');
    const together = await concurrentScans(azurite, 10);

    const faults = outcomes.flatMap((o) => o.faults);
    const byKind = new Map<string, number>();
    const byFamily = new Map<string, number>();
    for (const fault of faults) {
      // One admin's lookups are grouped with everyone's: the id is in the per-trial lines above.
      const kind = fault
        .replace(/ x\d+$/, '')
        .replace(/\d+ ms/, 'N ms')
        .replace(/Retry-After \d/, 'Retry-After n')
        .replace(/( of)? [0-9a-f]{8}:/, ' (one admin):');
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      byFamily.set(familyOf(fault), (byFamily.get(familyOf(fault)) ?? 0) + 1);
    }
    const violating = outcomes.filter((o) => o.violations.length > 0);
    const violations =
      violating.reduce((sum, o) => sum + o.violations.length, 0) + together.violations.length;
    const killed = outcomes.filter((o) => o.killed).length;
    process.stdout.write(`\nchaos summary (seed ${seed})\n`);
    process.stdout.write(
      `  trials: ${outcomes.length} (${outcomes.filter((o) => o.mode === 'ticket').length} ticket, ${outcomes.filter((o) => o.mode === 'remediate').length} remediate)\n`,
    );
    process.stdout.write(
      `  faults injected: ${faults.length} planned, ${outcomes.reduce((s, o) => s + o.errorAnswers, 0)} 429/5xx answers seen; scans killed with SIGKILL: ${killed}; scans run: ${outcomes.reduce((s, o) => s + o.scans, 0)}\n`,
    );
    process.stdout.write(
      `  by family: ${[...byFamily]
        .sort((a, b) => b[1] - a[1])
        .map(([family, n]) => `${family} ${n}`)
        .join(', ')}; kill -9 ${killed}\n`,
    );
    for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1]))
      process.stdout.write(`    ${String(n).padStart(4)}  ${kind}\n`);
    process.stdout.write(
      `  secret hygiene: searched ${outcomes.reduce((s, o) => s + o.scans + 1, 0)} CLI outputs and ${outcomes.reduce((s, o) => s + o.telemetryEnvelopes, 0)} telemetry envelopes for the token marker, webhook secret, storage key, identity header and ticket credentials\n`,
    );
    process.stdout.write(
      `  final states: ${JSON.stringify(Object.fromEntries(countBy(outcomes.map((o) => o.finalState))))}\n`,
    );
    process.stdout.write(
      `  concurrency: ${together.scans} scans at once → ${together.winners} writer, ${together.refused} SCAN.TENANT_BUSY, ${together.opened} ticket, ${together.jobs} job\n`,
    );
    for (const violation of together.violations) process.stdout.write(`      ✗ ${violation}\n`);
    process.stdout.write(
      `  violations: ${violations}${violating.length ? ` (trials ${violating.map((o) => o.trial).join(', ')}; replay: CHAOS_SEED=${seed} CHAOS_ONLY=${violating.map((o) => o.trial).join(',')} npm run chaos)` : ''}\n`,
    );
    process.stdout.write(`  time: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return violations === 0 ? 0 : 1;
  } finally {
    await azurite.stop();
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 2;
  },
);

/** The kind of fault, for the summary line: what the issue lists (429 with and without Retry-After, 5xx, …). */
function familyOf(fault: string): string {
  if (/^webhook/.test(fault)) return 'ticket system 429/5xx';
  if (/429 Retry-After/.test(fault)) return '429 with Retry-After';
  if (/429/.test(fault)) return '429 without Retry-After';
  if (/: 5\d\d/.test(fault)) return '5xx';
  if (/reset/.test(fault)) return 'connection reset';
  if (/slow/.test(fault)) return 'slow answer';
  if (/malformed/.test(fault)) return 'malformed answer';
  if (/^runbook/.test(fault)) return 'runbook fails or does nothing';
  if (/hardened/.test(fault)) return 'switch turned off on purpose';
  return 'other';
}
