/**
 * `npm run bench`: the figures in docs/BENCHMARKS.md, each a ratio taken in this run, against the
 * tenant emulator with the real CLI as a child process. Prints a table and writes bench/results.json.
 *
 *   npm run bench                       # everything (about 5 minutes)
 *   npm run bench -- throttle memory    # some of: throttle, economy, memory, load
 *   npm run bench -- fleet              # only when asked: 1,000 tenants, 3 worker processes (bench/fleet.ts)
 *   BENCH_NODE_FLAGS="--max-semi-space-size=1" npm run bench -- memory   # an experiment on the CLI process
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type RunningEmulator, type Scenario } from '../emulator';
import { emulatorEnv } from '../src/local/emulatorEnv';
import { packageRoot } from '../src/local/packageRoot';
import { jsonOf, runCli, type CliRun } from './lib/cli';
import { Prng } from './lib/prng';
import { failingTenant } from './lib/tenants';
import { fleetFigures } from './fleet';

interface Figure {
  name: string;
  /** The ratio; null when it could not be taken (then `note` says why). */
  ratio: number | null;
  goal: string;
  met: boolean | null;
  detail: Record<string, unknown>;
  note?: string;
}

const AUDIT_PATH = /\/auditLogs\/directoryAudits$/i;
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

async function withEmulator<T>(
  scenario: Scenario,
  body: (emulator: RunningEmulator) => Promise<T>,
): Promise<T> {
  const emulator = await startEmulator({ scenario });
  try {
    return await body(emulator);
  } finally {
    await emulator.stop();
  }
}

function scanOk(run: CliRun, what: string): any {
  const result = jsonOf(run);
  if (run.code !== 0 || !result)
    throw new Error(
      `${what}: the scan failed (exit ${run.code}).\nstderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`,
    );
  return result;
}

/**
 * Audit pages per 10 s achieved / allowed, with the emulator enforcing 5 per 10 s and the CLI pacing to 5.
 * `latencyMs` makes every audit page that slow (an emulator `slow` fault), as a real Graph page can be.
 */
async function throttleEfficiency(latencyMs = 0): Promise<Figure> {
  const limit = 5;
  const pageSize = 100;
  // 31 pages: 30 intervals, a whole number of windows, so the best possible span is exactly 60 s.
  const pages = 31;
  const tenantId = randomUUID();
  const scenario: Scenario = {
    name: 'bench-throttle',
    description: `${pages} pages of benign SSPR events, ${limit} directoryAudits requests per 10 s: expect no findings.`,
    tenantId,
    policy: false,
    noise: { count: (pages - 1) * pageSize + pageSize / 2, from: '-23h', to: '-1h' },
    pageSize,
    throttle: { requestsPer10s: limit },
    faults: latencyMs
      ? [{ match: '^/v1\\.0/auditLogs/directoryAudits', kind: 'slow', delayMs: latencyMs, times: -1 }]
      : [],
  };
  return withEmulator(scenario, async (emulator) => {
    const run = await runCli(
      ['scan', '--tenant', tenantId, '--json'],
      emulatorEnv(emulator, { AUDIT_REQUESTS_PER_10S: String(limit) }),
      { nodeFlags },
    );
    const result = scanOk(run, 'throttle');
    const audit = emulator.requests.filter(
      (r) => r.method === 'GET' && !r.batchItem && AUDIT_PATH.test(r.path),
    );
    const admitted = audit.filter((r) => r.status === 200).map((r) => Date.parse(r.at));
    const rejected = audit.filter((r) => r.status === 429).length;
    const spanMs = admitted[admitted.length - 1] - admitted[0];
    // The best a client can do under "at most L in any 10 s" for n sequential requests is
    // floor((n-1)/L) windows; with n-1 a multiple of L that is exactly L per 10 s.
    const intervals = admitted.length - 1;
    const optimumMs = Math.floor(intervals / limit) * 10_000;
    const achieved = (intervals / spanMs) * 10_000;
    const allowed = (intervals / optimumMs) * 10_000;
    const ratio = achieved / allowed;
    // A client that can never provoke a 429 may send request i+L only after request i's answer is
    // 10 s old (Graph may count it any time before answering), and pages are sequential (each names
    // the next): no such client beats 10 / (10 + latency) of the allowance.
    const bestSafe = 10_000 / (10_000 + latencyMs);
    return {
      name: latencyMs ? `throttle efficiency, ${latencyMs / 1000} s per page` : 'throttle efficiency',
      ratio,
      goal: '≥ 0.95 with zero 429s',
      met: ratio >= 0.95 && rejected === 0 && result.graphRequests.throttled === 0,
      note: latencyMs
        ? `bound for zero 429s: 10/(10+${latencyMs / 1000}) = ${format(bestSafe)}; achieved ${format(ratio / bestSafe)} of it`
        : undefined,
      detail: {
        bestSafeRatio: bestSafe,
        pages: admitted.length,
        expectedPages: pages,
        spanSeconds: spanMs / 1000,
        optimumSeconds: optimumMs / 1000,
        pagesPer10sAchieved: achieved,
        pagesPer10sAllowed: allowed,
        throttled429: rejected,
        cliReportedThrottled: result.graphRequests.throttled,
        eventsRead: result.eventsRead,
        pageLatencyMs: latencyMs,
      },
    };
  });
}

/** Graph requests used / the lower bound, and a naive one-lookup-per-event client / ours. */
async function requestEconomy(): Promise<Figure[]> {
  const admins = 50;
  const standard = 500;
  const failures = 10_000;
  const pageSize = 1000;
  const tenantId = randomUUID();
  const built = failingTenant({
    name: 'bench-economy',
    tenantId,
    admins,
    standard,
    failures,
    rng: new Prng(7),
  });
  const scenario: Scenario = { ...built.scenario, pageSize, throttle: { requestsPer10s: 5 } };
  return withEmulator(scenario, async (emulator) => {
    const run = await runCli(['scan', '--tenant', tenantId, '--json'], emulatorEnv(emulator), { nodeFlags });
    const result = scanOk(run, 'economy');
    const verdicts: Record<string, number> = {};
    for (const finding of result.findings) verdicts[finding.verdict] = (verdicts[finding.verdict] ?? 0) + 1;
    const users = admins + standard;
    const pages = Math.ceil(failures / pageSize);
    // 5 lookups a user: the user, direct role assignments, transitiveMemberOf, PIM's assignment and
    // eligibility schedule instances.
    const lookups = Math.ceil((5 * users) / 20);
    // + the policy, the switch's history, and the role history counted as one paged read (it is sent as
    // two documented startswith filters, so ours is one above this bound when both fit in a page).
    const lowerBound = pages + lookups + 1 + 1 + 1;
    const ours = result.graphRequests.total as number;
    // A client that looks up the user, their roles and the policy for every failure event, one request each.
    const naive = 3 * failures + pages;
    const observed = {
      auditPages: emulator.requests.filter(
        (r) =>
          !r.batchItem &&
          AUDIT_PATH.test(r.path) &&
          /Self-service/.test(r.query.$filter ?? r.query.$skiptoken ?? ''),
      ).length,
      allAuditRequests: emulator.requests.filter((r) => !r.batchItem && AUDIT_PATH.test(r.path)).length,
      batchRequests: emulator.requests.filter((r) => !r.batchItem && r.path.endsWith('/$batch')).length,
      batchItems: emulator.requests.filter((r) => r.batchItem).length,
      policyReads: emulator.requests.filter(
        (r) => !r.batchItem && r.path.endsWith('/policies/authorizationPolicy'),
      ).length,
      roleHistoryReads: emulator.requests.filter(
        (r) => !r.batchItem && AUDIT_PATH.test(r.path) && /^startswith\(/.test(r.query.$filter ?? ''),
      ).length,
      throttled: result.graphRequests.throttled,
    };
    const sane = verdicts.confirmed === admins && verdicts['not-admin'] === standard;
    return [
      {
        name: 'request economy (used / lower bound)',
        ratio: ours / lowerBound,
        goal: '≤ 1.05',
        met: sane && ours / lowerBound <= 1.05,
        detail: {
          failures,
          admins,
          standard,
          pages,
          batchLookups: lookups,
          lowerBound,
          graphRequests: ours,
          observed,
          verdicts,
        },
        ...(sane ? {} : { note: `unexpected verdicts ${JSON.stringify(verdicts)}` }),
      },
      {
        name: 'request economy (naive / ours)',
        ratio: naive / ours,
        goal: '≥ 20',
        met: sane && naive / ours >= 20,
        detail: {
          naive,
          naiveFormula: '3 requests per failure event (user, roles, policy) + pages',
          graphRequests: ours,
        },
      },
    ];
  });
}

async function peakRssOfScan(
  count: number,
): Promise<{ peakRssKb: number; eventsRead: number; ms: number; pages: number }> {
  const tenantId = randomUUID();
  const scenario: Scenario = {
    name: 'bench-memory',
    description: `${count} benign SSPR events, no throttle: expect no findings.`,
    tenantId,
    policy: false,
    noise: { count, from: '-23h', to: '-1h' },
    pageSize: 1000,
    throttle: { requestsPer10s: 0 },
  };
  return withEmulator(scenario, async (emulator) => {
    const run = await runCli(
      ['scan', '--tenant', tenantId, '--json'],
      emulatorEnv(emulator, { AUDIT_REQUESTS_PER_10S: '122' }),
      {
        measurePeakRss: true,
        nodeFlags,
      },
    );
    const result = scanOk(run, `memory ${count}`);
    if (result.eventsRead !== count) throw new Error(`memory ${count}: read ${result.eventsRead} events`);
    if (!run.peakRssKb) throw new Error(`memory ${count}: no peak RSS reported`);
    const pages = emulator.requests.filter((r) => !r.batchItem && AUDIT_PATH.test(r.path)).length;
    return { peakRssKb: run.peakRssKb, eventsRead: result.eventsRead, ms: run.ms, pages };
  });
}

async function memory(): Promise<Figure[]> {
  const small = await peakRssOfScan(10_000);
  const large = await peakRssOfScan(1_000_000);
  const ratio = large.peakRssKb / small.peakRssKb;
  const peakMb = large.peakRssKb / 1024;
  return [
    {
      name: 'memory (peak RSS 1M / 10k events)',
      ratio,
      goal: '≤ 1.5',
      met: ratio <= 1.5,
      detail: {
        peakRssMb10k: small.peakRssKb / 1024,
        peakRssMb1M: peakMb,
        seconds10k: small.ms / 1000,
        seconds1M: large.ms / 1000,
        pages1M: large.pages,
        nodeFlags,
      },
    },
    {
      name: 'memory (absolute peak at 1M, MB)',
      ratio: peakMb,
      goal: '< 150',
      met: peakMb < 150,
      detail: { peakRssMb: peakMb },
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds to require() a file in a fresh node process (node's own start-up excluded). */
function loadMs(file: string, ...more: string[]): number {
  const requires = [file, ...more].map((f) => `require(${JSON.stringify(f)});`).join('');
  const script = `const t=process.hrtime.bigint();${requires}process.stdout.write('LOADMS='+(Number(process.hrtime.bigint()-t)/1e6)+'\\n');process.exit(0);`;
  const run = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
    timeout: 60_000,
  });
  const match = /LOADMS=([\d.]+)/.exec(run.stdout ?? '');
  if (!match) throw new Error(`loading ${file} failed (exit ${run.status}): ${run.stderr}`);
  return Number(match[1]);
}

/** The bundle (package.json main, built by `npm run bundle`) and the tsc output of its entry point. */
function bundleFiles(root: string): { bundle?: string; unbundled?: string; why?: string } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    main?: string;
    scripts?: Record<string, string>;
  };
  const main = pkg.main ? resolve(root, pkg.main) : undefined;
  if (!pkg.main || /^(\.\/)?dist\/src\/cli\.js$/.test(pkg.main))
    return { why: 'package.json main is the unbundled CLI' };
  if (!main || !existsSync(main))
    return { why: `package.json main (${pkg.main}) does not exist: run npm run bundle` };
  const entry = /(?:^|\s)((?:\.\/)?src\/[\w/.-]+)\.ts\b/.exec(pkg.scripts?.bundle ?? '')?.[1];
  const candidates = [
    entry && join(root, 'dist', `${entry.replace(/^\.\//, '')}.js`),
    join(root, 'dist/src/functions/index.js'),
  ];
  const unbundled = candidates.find((file): file is string => !!file && existsSync(file));
  if (!unbundled) return { bundle: main, why: 'no tsc output of the bundle entry found' };
  return { bundle: main, unbundled };
}

async function coldLoad(): Promise<Figure> {
  const root = packageRoot();
  const runs = 15;
  const files = bundleFiles(root);
  if (!files.bundle || !files.unbundled) {
    const cli = join(root, 'dist/src/cli.js');
    loadMs(cli); // warm the file cache, as for the measured runs
    const times = Array.from({ length: runs }, () => loadMs(cli));
    return {
      name: 'cold load (bundled / unbundled)',
      ratio: null,
      goal: '< 1 (report)',
      met: null,
      note: `n/a (no bundle yet: ${files.why})`,
      detail: { runs, unbundledCliMs: median(times), file: 'dist/src/cli.js' },
    };
  }
  // The unbundled app as it loaded before the root became lazy: the entry and the composition root,
  // which is what every trigger module pulled in at start-up (issue 13's baseline).
  const compositionRoot = join(root, 'dist/src/composition.js');
  const eager = existsSync(compositionRoot) ? [files.unbundled, compositionRoot] : [files.unbundled];
  loadMs(files.bundle);
  loadMs(eager[0], ...eager.slice(1));
  const bundled: number[] = [];
  const unbundled: number[] = [];
  // Interleaved, so drift on the machine hits both alike.
  for (let n = 0; n < runs; n++) {
    bundled.push(loadMs(files.bundle));
    unbundled.push(loadMs(eager[0], ...eager.slice(1)));
  }
  const ratio = median(bundled) / median(unbundled);
  return {
    name: 'cold load (bundled / unbundled)',
    ratio,
    goal: '≤ 0.33 (3× faster)',
    met: ratio <= 1 / 3,
    detail: {
      runs,
      bundledMs: median(bundled),
      unbundledMs: median(unbundled),
      bundle: files.bundle.slice(root.length + 1),
      unbundled: eager.map((file) => file.slice(root.length + 1)).join(' + '),
    },
  };
}

function machine() {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

function format(value: number | null): string {
  if (value === null) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value.toFixed(3);
}

async function main(): Promise<void> {
  const all = ['throttle', 'economy', 'memory', 'load'];
  // Only when asked for (several minutes, four processes): npm run bench -- fleet.
  const optional = ['fleet'];
  const chosen = process.argv.slice(2).filter((arg) => all.includes(arg) || optional.includes(arg));
  const wanted = new Set(chosen.length ? chosen : all);
  const root = packageRoot();
  if (!existsSync(join(root, 'dist/src/cli.js')))
    throw new Error('dist/ is missing: run npm run build first (npm run bench does).');
  const started = new Date();
  const figures: Figure[] = [];
  const step = async (key: string, label: string, body: () => Promise<Figure | Figure[]>) => {
    if (!wanted.has(key)) return;
    process.stderr.write(`bench: ${label} …\n`);
    const t = Date.now();
    const out = await body();
    figures.push(...(Array.isArray(out) ? out : [out]));
    process.stderr.write(`bench: ${label} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  };
  await step('throttle', 'throttle efficiency (31 pages at 5 per 10 s, about 60 s)', () =>
    throttleEfficiency(),
  );
  await step('throttle', 'throttle efficiency with 1 s pages (about 70 s)', () => throttleEfficiency(1000));
  await step('economy', 'request economy (10,000 failures, 550 users)', requestEconomy);
  await step('memory', 'memory (10,000 and 1,000,000 events)', memory);
  await step('load', 'cold load (median of 15)', coldLoad);
  await step('fleet', 'fleet: 1,000 tenants, 3 workers sharing the budget (several minutes)', fleetFigures);

  const report = {
    command: `npm run bench${chosen.length ? ` -- ${chosen.join(' ')}` : ''}`,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machine(),
    nodeFlags,
    figures,
  };
  // An experiment with other node flags must not overwrite the recorded figures.
  const out = nodeFlags.length ? undefined : join(root, 'bench', 'results.json');
  if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  const rows = figures.map((f) => [
    f.name,
    format(f.ratio),
    f.goal,
    f.met === null ? '—' : f.met ? 'yes' : 'NO',
    f.note ?? '',
  ]);
  const header = ['figure', 'value', 'goal', 'met', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`,
  );
  const m = report.machine;
  process.stdout.write(
    `\nmachine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGb} GB, node ${m.node}; ${out ? 'written to bench/results.json' : `CLI node flags ${nodeFlags.join(' ')}: not written`}\n`,
  );
  for (const f of figures) process.stdout.write(`  ${f.name}: ${JSON.stringify(f.detail)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
