import { randomBytes, randomUUID } from 'node:crypto';
import { loadScenario, startEmulator } from '../../emulator';
import type { RunningAzurite } from '../../src/local/azurite';
import { runCli } from '../lib/cli';
import { leaks } from './secrets';
import { jobsCreated, openedTickets, secretsOf, trialEnv } from './trial';

export interface ConcurrencyOutcome {
  scans: number;
  /** Scans that exited 0 (the writer). */
  winners: number;
  /** Scans refused with SCAN.TENANT_BUSY. */
  refused: number;
  opened: number;
  jobs: number;
  violations: string[];
}

/**
 * `scans` processes scan one tenant at once in remediate mode: exactly one writer, the others refused
 * with SCAN.TENANT_BUSY, one ticket, one job. The writer's first audit page is held (a `hold` fault)
 * until all the others have exited, so it surely holds the tenant lease while they ask for it however
 * slowly a loaded machine starts them.
 */
export async function concurrentScans(azurite: RunningAzurite, scans = 10): Promise<ConcurrencyOutcome> {
  const base = loadScenario('admin-policy-off');
  const tenantId = randomUUID();
  const emulator = await startEmulator({
    scenario: {
      ...base,
      name: 'chaos-concurrency',
      tenantId,
      faults: [{ match: '^/v1\\.0/auditLogs/directoryAudits\\?', kind: 'hold', times: 1 }],
    },
  });
  try {
    const secret = randomBytes(16).toString('hex');
    emulator.tickets.webhook.secret = secret;
    const env = trialEnv(emulator, azurite, 'remediate', secret);
    // Once all but one have exited, the one left (the writer, or nobody if the lease let none in) may go on.
    let exited = 0;
    const runs = await Promise.all(
      Array.from({ length: scans }, () =>
        runCli(['scan', '--tenant', tenantId, '--json'], env).then((run) => {
          if (++exited >= scans - 1) emulator.releaseHeld();
          return run;
        }),
      ),
    );
    const winners = runs.filter((run) => run.code === 0).length;
    const refused = runs.filter((run) => run.code === 1 && run.stderr.includes('SCAN.TENANT_BUSY')).length;
    const opened = openedTickets(emulator).length;
    const jobs = jobsCreated(emulator).length;
    const violations: string[] = [];
    if (winners !== 1)
      violations.push(`${winners} of ${scans} concurrent scans ran as writers (expected exactly 1)`);
    if (winners + refused !== scans) {
      const other = runs.filter((run) => run.code !== 0 && !run.stderr.includes('SCAN.TENANT_BUSY'));
      violations.push(
        `${other.length} concurrent scans failed otherwise: ${other.map((run) => `exit ${run.code} ${run.stderr.slice(0, 200)}`).join(' | ')}`,
      );
    }
    if (opened !== 1) violations.push(`${opened} tickets opened by ${scans} concurrent scans (expected 1)`);
    if (jobs !== 1) violations.push(`${jobs} runbook jobs started by ${scans} concurrent scans (expected 1)`);
    const secrets = secretsOf(emulator, azurite, secret);
    runs.forEach((run, n) =>
      violations.push(...leaks(run.stdout + run.stderr, `output of concurrent scan ${n + 1}`, secrets)),
    );
    violations.push(
      ...leaks(JSON.stringify(emulator.telemetry), 'telemetry envelopes (concurrency)', secrets),
    );
    return { scans, winners, refused, opened, jobs, violations };
  } finally {
    await emulator.stop();
  }
}
