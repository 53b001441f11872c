import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../../src/local/emulatorEnv';

export interface CliRun {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when this harness killed it (SIGKILL). */
  killed: boolean;
  ms: number;
  /** Peak resident set size of the CLI process in KiB (process.resourceUsage().maxRSS), when asked for. */
  peakRssKb?: number;
}

export interface RunOptions {
  /** Polled every 2 ms: when it returns true the process gets SIGKILL (a crash, not a shutdown). */
  killWhen?: () => boolean;
  /** SIGKILL after this many milliseconds, if it is still running. */
  killAfterMs?: number;
  /** Record the process's peak RSS (a --require preload writes it at exit; the same process, not a wrapper). */
  measurePeakRss?: boolean;
  /** Extra node flags for the CLI process, e.g. --max-semi-space-size=4 for an experiment. */
  nodeFlags?: string[];
}

/** The preload that reports the peak RSS of the process it is loaded into. Plain JS, no build step. */
const PEAK_RSS_PRELOAD = `'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  try { fs.writeFileSync(process.env.SSPR_BENCH_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {}
});
`;

/** Runs the built CLI (bin/sspr-remediator.js → dist/) as its own process, the way an operator does. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, options: RunOptions = {}): Promise<CliRun> {
  let scratch: string | undefined;
  const nodeArgs = [...(options.nodeFlags ?? [])];
  const childEnv = { ...env };
  if (options.measurePeakRss) {
    scratch = mkdtempSync(join(tmpdir(), 'sspr-bench-'));
    writeFileSync(join(scratch, 'peak-rss.js'), PEAK_RSS_PRELOAD);
    nodeArgs.push('--require', join(scratch, 'peak-rss.js'));
    childEnv.SSPR_BENCH_PEAK_RSS_FILE = join(scratch, 'peak-rss');
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, cliPath(), ...args], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (killed || child.exitCode !== null || child.signalCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const watcher = options.killWhen
      ? setInterval(() => {
          if (options.killWhen!()) kill();
        }, 2)
      : undefined;
    const timer = options.killAfterMs !== undefined ? setTimeout(kill, options.killAfterMs) : undefined;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (watcher) clearInterval(watcher);
      if (timer) clearTimeout(timer);
      let peakRssKb: number | undefined;
      if (scratch) {
        try {
          peakRssKb = Number(readFileSync(join(scratch, 'peak-rss'), 'utf8'));
        } catch {
          peakRssKb = undefined;
        }
        rmSync(scratch, { recursive: true, force: true });
      }
      resolve({ code, signal, stdout, stderr, killed, ms: Date.now() - started, peakRssKb });
    });
  });
}

/** `scan --json` prints exactly one JSON document; undefined when it did not (killed, or an error). */
export function jsonOf(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
