import { TableClient, odata } from '@azure/data-tables';
import { startEmulator, type RunningEmulator, type Scenario } from '../../emulator';
import { SECRET_MARKER } from '../../emulator/tokens';
import type { RunningAzurite } from '../../src/local/azurite';
import { emulatorActionEnv, emulatorEnv } from '../../src/local/emulatorEnv';
import { jsonOf, runCli, type CliRun } from '../lib/cli';
import { untilLeaseFree } from '../lib/lease';
import { Prng, trialSeed } from '../lib/prng';
import { failingTenant, type BuiltTenant } from '../lib/tenants';
import { randomFault } from './faults';
import { leaks, storageKeyOf, type Secret } from './secrets';

export type ChaosMode = 'ticket' | 'remediate';

export interface TrialPlan {
  trial: number;
  seed: number;
  mode: ChaosMode;
  tenant: BuiltTenant;
  scenario: Scenario;
  /** One label per injected Graph fault, plus the webhook failure if any. */
  faults: string[];
  webhookFailure?: { status: number; times: number };
  /** SIGKILL of the first scan: after the emulator saw this many more requests, or after this many ms. */
  kill?: { afterRequests?: number; afterMs?: number };
  webhookSecret: string;
}

export interface TrialOutcome {
  trial: number;
  seed: number;
  mode: ChaosMode;
  tenantId: string;
  faults: string[];
  kill: string;
  killed: boolean;
  /** CLI scan processes run: the first, reruns (including refusals while the killed scan's lease lasted) and the idle check. */
  scans: number;
  busyRefusals: number;
  failedReruns: string[];
  /** Graph and Resource Manager answers the emulator gave with 429 or 5xx (faults that fired, and real throttling). */
  errorAnswers: number;
  /** Telemetry envelopes the CLI processes sent (all searched for secrets). */
  telemetryEnvelopes: number;
  finalState: string;
  violations: string[];
  ms: number;
}

const SCAN_OVERLAP_SECONDS = 10 * 60;

/** Everything about trial `trial` of run `runSeed` is drawn from one PRNG, so it replays from the seed. */
export function planTrial(runSeed: number, trial: number): TrialPlan {
  const seed = trialSeed(runSeed, trial);
  const rng = new Prng(seed);
  const mode: ChaosMode = rng.chance(0.5) ? 'ticket' : 'remediate';
  const admins = rng.int(1, 4);
  const standard = rng.int(0, 4);
  const tenant = failingTenant({
    name: `chaos-${trial}`,
    tenantId: rng.guid(),
    admins,
    standard,
    failures: admins + standard + rng.int(0, 6),
    rng,
    // Older than SCAN_OVERLAP (plus slack): a skipped event is not silently re-read by the overlap.
    spanSeconds: [20 * 3600, SCAN_OVERLAP_SECONDS * 3],
    domain: `t${trial}.chaos.contoso.com`,
  });
  const users = tenant.scenario.users!;
  const groups: NonNullable<Scenario['groups']> = [];
  // Some admins hold their role through a role-assignable group (the transitiveMemberOf lookup).
  for (const user of users.slice(0, admins)) {
    if (rng.chance(0.3)) {
      const group = { id: rng.guid(), displayName: `Role group ${groups.length + 1}`, roles: user.roles! };
      groups.push(group);
      user.roles = [];
      user.groups = [group.id];
    }
  }
  const faults: string[] = [];
  const scenarioFaults: NonNullable<Scenario['faults']> = [];
  const faultCount = rng.pick([0, 1, 1, 2, 2, 3, 4]);
  for (let n = 0; n < faultCount; n++) {
    const { fault, label } = randomFault(rng, tenant.users, tenant.admins);
    scenarioFaults.push(fault);
    faults.push(label);
  }
  const noise = rng.chance(0.7) ? { count: rng.int(1, 400), from: '-22h', to: '-15m' } : undefined;
  const outcome = rng.pick([
    'fixes',
    'fixes',
    'fixes',
    'fixes',
    'fixes',
    'fixes',
    'fails',
    'completes-without-fix',
  ] as const);
  const hardened = rng.chance(0.1);
  const scenario: Scenario = {
    ...tenant.scenario,
    description: `${tenant.scenario.description} Chaos trial ${trial}.`,
    groups,
    ...(noise ? { noise } : {}),
    pageSize: rng.pick([100, 200, 500, 1000]),
    faults: scenarioFaults,
    // Someone switched admin SSPR off before every failure: remediate must stop at a ticket comment.
    ...(hardened ? { policyChanges: [{ at: '-25h', allowedToUseSSPR: false, by: tenant.admins[0] }] } : {}),
    automation: {
      subscriptionId: '00000000-0000-4000-8000-00000000a001',
      resourceGroup: 'rg-sspr',
      account: 'aa-sspr',
      runbook: 'Enable-AdminSspr',
      outcome,
      runForMs: rng.int(200, 2500),
    },
  };
  if (hardened) faults.push('tenant hardened (admin SSPR switched off on purpose)');
  if (outcome !== 'fixes') faults.push(`runbook ${outcome}`);
  const webhookFailure = rng.chance(0.15)
    ? { status: rng.pick([500, 503, 429]), times: rng.int(1, 2) }
    : undefined;
  if (webhookFailure) faults.push(`webhook: ${webhookFailure.status} x${webhookFailure.times}`);
  const kill = rng.chance(0.75)
    ? rng.chance(0.5)
      ? { afterRequests: rng.int(1, 40) }
      : { afterMs: rng.int(100, 6000) }
    : undefined;
  return { trial, seed, mode, tenant, scenario, faults, webhookFailure, kill, webhookSecret: rng.hex(16) };
}

export function trialEnv(
  emulator: RunningEmulator,
  azurite: RunningAzurite,
  mode: ChaosMode,
  webhookSecret: string,
): NodeJS.ProcessEnv {
  return emulatorEnv(emulator, {
    STATE_STORAGE: azurite.connectionString,
    ACTION_MODE: mode,
    ...emulatorActionEnv(emulator, 'webhook'),
    TICKET_WEBHOOK_SECRET: webhookSecret,
    TENANT_LEASE_SECONDS: '15',
    APPLICATIONINSIGHTS_CONNECTION_STRING: emulator.telemetryConnectionString,
    APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
  });
}

export function secretsOf(
  emulator: RunningEmulator,
  azurite: RunningAzurite,
  webhookSecret: string,
): Secret[] {
  return [
    { name: 'access token', value: emulator.tokenMarker },
    { name: 'webhook secret', value: webhookSecret },
    { name: 'storage key', value: storageKeyOf(azurite.connectionString) ?? '' },
    { name: 'identity header', value: emulator.identityHeader },
    { name: 'emulator secret (ticket credential)', value: SECRET_MARKER },
  ];
}

export const openedTickets = (emulator: RunningEmulator) =>
  emulator.tickets.webhook.deliveries
    .map((d) => d.body as { event?: string; incidentId?: string })
    .filter((body) => body.event === 'opened');
export const jobsCreated = (emulator: RunningEmulator) =>
  emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201);

async function recordedEvents(
  azurite: RunningAzurite,
  tenantId: string,
): Promise<Map<string, { verdict?: string; incidentId?: string }>> {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'ssprEvents', {
    allowInsecureConnection: true,
  });
  const rows = new Map<string, { verdict?: string; incidentId?: string }>();
  try {
    for await (const row of table.listEntities<{ verdict?: string; incidentId?: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId}` },
    })) {
      rows.set(String(row.rowKey), { verdict: row.verdict, incidentId: row.incidentId });
    }
  } catch (err) {
    // No table yet: nothing was ever recorded.
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  return rows;
}

function describe(run: CliRun): string {
  if (run.killed) return 'killed';
  const code = /error ([A-Z][A-Z_]*\.[A-Z_]+)/.exec(run.stderr)?.[1];
  return `exit ${run.code}${code ? ` ${code}` : ''}`;
}

/**
 * One trial: a scan with the planned faults and (maybe) a kill -9 at a random moment, reruns until a
 * scan exits 0, one more idle scan, then the invariants. Every violation is a sentence naming the trial.
 */
export async function runTrial(plan: TrialPlan, azurite: RunningAzurite): Promise<TrialOutcome> {
  const started = Date.now();
  const tenantId = plan.scenario.tenantId;
  const emulator = await startEmulator({ scenario: plan.scenario });
  const violations: string[] = [];
  const outputs: { label: string; run: CliRun }[] = [];
  let busyRefusals = 0;
  const failedReruns: string[] = [];
  try {
    emulator.tickets.webhook.secret = plan.webhookSecret;
    if (plan.webhookFailure)
      emulator.tickets.failNext('webhook', plan.webhookFailure.status, plan.webhookFailure.times);
    const env = trialEnv(emulator, azurite, plan.mode, plan.webhookSecret);
    const scanArgs = ['scan', '--tenant', tenantId, '--json'];
    const seen = () => emulator.requests.length + emulator.tickets.requests.length;

    const before = seen();
    const afterRequests = plan.kill?.afterRequests;
    const first = await runCli(scanArgs, env, {
      killWhen: afterRequests !== undefined ? () => seen() - before >= afterRequests : undefined,
      killAfterMs: plan.kill?.afterMs,
    });
    outputs.push({ label: 'first scan', run: first });

    // Rerun until a scan exits 0. A scan that exits 0 may still hold back users it could not judge
    // (a transient gap: their events stay unrecorded and the checkpoint waits); keep scanning, as the
    // timer would, until no `cannot-confirm` is left. Each faulty answer can cost at most one scan
    // (some, like a malformed 200, are only retried by the next scan), so more scans than faults
    // means the gap is not transient after all: a violation.
    const holdsBack = (run: CliRun) =>
      ((jsonOf(run)?.findings ?? []) as { verdict: string }[]).some((f) => f.verdict === 'cannot-confirm');
    const scanBudget =
      (plan.scenario.faults ?? []).reduce((sum, fault) => sum + Math.max(fault.times ?? 1, 1), 0) + 3;
    let final: CliRun | undefined = first.code === 0 ? first : undefined;
    let settleScans = 0;
    // Bounded by counts, not by a clock: a loaded machine makes every scan slower, not more numerous.
    while (!final || holdsBack(final)) {
      if (failedReruns.length >= 12 || settleScans >= scanBudget || busyRefusals >= 10) {
        violations.push(
          `${final ? 'no scan without cannot-confirm' : 'no scan exited 0'} after ${failedReruns.length} failed reruns and ${busyRefusals} busy refusals (${failedReruns.slice(-3).join('; ')})`,
        );
        break;
      }
      if (final) settleScans++;
      const rerun = await runCli(scanArgs, env);
      outputs.push({ label: `rerun ${outputs.length}`, run: rerun });
      if (rerun.code === 0) final = rerun;
      else if (rerun.code === 1 && rerun.stderr.includes('SCAN.TENANT_BUSY')) {
        // The killed scan's lease (TENANT_LEASE_SECONDS=15) has not run out yet, as for the next timer run.
        // Wait for it to run out (the timer would come back much later) rather than start a scan a second.
        busyRefusals++;
        await untilLeaseFree(azurite.connectionString, tenantId);
      } else {
        // A fault outlived GRAPH_MAX_ATTEMPTS or an action failed: the next scan retries, as the timer would.
        failedReruns.push(`${describe(rerun)}: ${rerun.stderr.split('\n')[0].slice(0, 200)}`);
      }
    }
    const finalResult = final ? jsonOf(final) : undefined;
    if (final && !finalResult) violations.push('the final scan exited 0 but did not print one JSON document');

    // One more scan with nothing new to do: it must not open a second ticket or start a second job.
    const idle = final ? await runCli(scanArgs, env) : undefined;
    if (idle) outputs.push({ label: 'idle scan', run: idle });

    const listed = await runCli(['incidents', '--all', '--json', '--tenant', tenantId], env);
    outputs.push({ label: 'incidents', run: listed });
    const incidents = jsonOf(listed) as
      { id: string; tenantId: string; state: string; userIds: string[] }[] | undefined;
    if (listed.code !== 0 || !Array.isArray(incidents)) {
      violations.push(
        `state unreadable: incidents --json ${describe(listed)}: ${listed.stderr.slice(0, 300)}`,
      );
    }
    const ours = (incidents ?? []).filter((incident) => incident.tenantId === tenantId);

    if (final) {
      // No confirmed admin lost: every admin failed while admin SSPR was off.
      if (plan.tenant.admins.length > 0 && ours.length === 0)
        violations.push(
          `no incident although ${plan.tenant.admins.length} admins failed while admin SSPR was off`,
        );
      if (ours.length > 1)
        violations.push(
          `${ours.length} incidents for one episode (${ours.map((i) => `${i.id} ${i.state}`).join(', ')})`,
        );
      const inIncidents = new Set(ours.flatMap((incident) => incident.userIds.map((id) => id.toLowerCase())));
      const lost = plan.tenant.admins.filter((id) => !inIncidents.has(id.toLowerCase()));
      if (lost.length > 0) {
        const recorded = await recordedEvents(azurite, tenantId);
        const verdicts = lost.map((id) => {
          // The last scan that judged this admin (later scans skip events recorded as settled).
          const finding = outputs
            .flatMap(
              ({ run }) =>
                (jsonOf(run)?.findings ?? []) as { userId: string; verdict: string; reason: string }[],
            )
            .filter((f) => f.userId === id)
            .at(-1);
          const events = plan.scenario
            .events!.filter((e) => e.target === id)
            .map((e) => recorded.get(e.id!)?.verdict ?? 'unrecorded');
          return `${id}: last verdict ${finding?.verdict ?? '-'} (${finding?.reason ?? ''}), recorded as [${events.join(', ')}]`;
        });
        violations.push(
          `confirmed admin lost: ${lost.length} of ${plan.tenant.admins.length} admins missing from the incident; ${verdicts.join('; ')}`,
        );
      }

      // The checkpoint never skips an unrecorded event.
      const recorded = await recordedEvents(azurite, tenantId);
      const reported = new Set<string>(
        (finalResult?.findings ?? []).flatMap((finding: { eventIds: string[] }) => finding.eventIds),
      );
      const skipped = plan.tenant.failureEventIds.filter((id) => !recorded.has(id) && !reported.has(id));
      if (skipped.length > 0)
        violations.push(
          `checkpoint skipped ${skipped.length} unrecorded failure events (e.g. ${skipped[0]})`,
        );
    }

    // Exactly one ticket per incident, at most one runbook job.
    const opened = openedTickets(emulator);
    for (const incident of ours) {
      const count = opened.filter((body) => body.incidentId === incident.id).length;
      if (count !== 1)
        violations.push(
          `incident ${incident.id} (${incident.state}) has ${count} 'opened' webhook deliveries`,
        );
    }
    const strays = opened.filter((body) => !ours.some((incident) => incident.id === body.incidentId));
    if (strays.length > 0)
      violations.push(
        `${strays.length} tickets opened for incidents not in state (${strays.map((b) => b.incidentId).join(', ')})`,
      );
    const jobs = jobsCreated(emulator).length;
    if (jobs > 1) violations.push(`${jobs} runbook jobs created (ARM PUT 201)`);
    if (plan.mode === 'ticket' && jobs > 0) violations.push(`ticket mode created ${jobs} runbook jobs`);

    // Secret hygiene: no token, webhook secret or storage key in any output or telemetry envelope.
    const secrets = secretsOf(emulator, azurite, plan.webhookSecret);
    for (const { label, run } of outputs) {
      violations.push(
        ...leaks(run.stdout, `stdout of ${label}`, secrets),
        ...leaks(run.stderr, `stderr of ${label}`, secrets),
      );
    }
    violations.push(...leaks(JSON.stringify(emulator.telemetry), 'telemetry envelopes', secrets));

    if (process.env.CHAOS_VERBOSE) {
      for (const { label, run } of outputs) {
        const findings = (
          (jsonOf(run)?.findings ?? []) as { userId: string; verdict: string; reason: string }[]
        ).map(
          (f) =>
            `${f.userId.slice(0, 8)} ${f.verdict}${f.verdict === 'cannot-confirm' ? ` (${f.reason.slice(0, 400)})` : ''}`,
        );
        process.stdout.write(
          `    trial ${plan.trial} ${label}: ${describe(run)} after ${run.ms} ms; findings [${findings.join('; ')}]\n`,
        );
      }
    }
    const killLabel = plan.kill
      ? plan.kill.afterRequests !== undefined
        ? `after ${plan.kill.afterRequests} requests`
        : `after ${plan.kill.afterMs} ms`
      : 'none';
    return {
      trial: plan.trial,
      seed: plan.seed,
      mode: plan.mode,
      tenantId,
      faults: plan.faults,
      kill: killLabel,
      killed: first.killed,
      scans: outputs.filter((o) => o.label !== 'incidents').length,
      busyRefusals,
      failedReruns,
      errorAnswers: emulator.requests.filter((r) => r.status === 429 || r.status >= 500).length,
      telemetryEnvelopes: emulator.telemetry.length,
      finalState: ours.map((incident) => incident.state).join(',') || 'no incident',
      violations,
      ms: Date.now() - started,
    };
  } finally {
    await emulator.stop();
  }
}

/** Runs `count` trials from `first`, `concurrency` at a time (each has its own emulator and tenant). */
export async function runTrials(
  runSeed: number,
  trials: number[],
  azurite: RunningAzurite,
  options: { concurrency: number; onDone?: (outcome: TrialOutcome) => void },
): Promise<TrialOutcome[]> {
  const outcomes: TrialOutcome[] = [];
  const queue = [...trials];
  const worker = async () => {
    for (let trial = queue.shift(); trial !== undefined; trial = queue.shift()) {
      const plan = planTrial(runSeed, trial);
      let outcome: TrialOutcome;
      try {
        outcome = await runTrial(plan, azurite);
      } catch (err) {
        outcome = {
          trial,
          seed: plan.seed,
          mode: plan.mode,
          tenantId: plan.scenario.tenantId,
          faults: plan.faults,
          kill: '-',
          killed: false,
          scans: 0,
          busyRefusals: 0,
          failedReruns: [],
          errorAnswers: 0,
          telemetryEnvelopes: 0,
          finalState: 'harness error',
          violations: [`harness error: ${(err as Error).stack ?? String(err)}`],
          ms: 0,
        };
      }
      outcomes.push(outcome);
      options.onDone?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return outcomes.sort((a, b) => a.trial - b.trial);
}
