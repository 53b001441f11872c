import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath } from '../../src/local/emulatorEnv';
import { packageRoot } from '../../src/local/packageRoot';
import { childJson, runNode } from './nodeChild';
import { assertNoSecrets } from './secretHygiene';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as its own process, the way an operator does. Nothing it prints may carry a secret. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const output = await runNode([cliPath(), ...args], env, `sspr-remediator ${args[0] ?? ''}`);
  assertNoSecrets(`the stdout of sspr-remediator ${args[0] ?? ''}`, output.stdout);
  return { ...output, code: output.code ?? -1 };
}

/** `scan --json` must print exactly one JSON document; this parses it or fails with what was printed. */
export function parseJson(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
}

/** One CLI command line and the whole environment it runs with. */
export interface CliInvocation {
  args: string[];
  env: NodeJS.ProcessEnv;
}

// Runs in the child: the built CLI's main() once per invocation, in order, each with exactly its own
// environment and its own stdout and stderr, then prints every result as one JSON document.
const BATCH_DRIVER = `
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const { main } = require(input.cli);
const streams = { stdout: process.stdout, stderr: process.stderr };
const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
(async () => {
  const results = [];
  for (const run of input.runs) {
    const out = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr']) {
      streams[name].write = (chunk, encoding, callback) => {
        out[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        const done = typeof encoding === 'function' ? encoding : callback;
        if (done) process.nextTick(done);
        return true;
      };
    }
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, run.env);
    let code;
    try {
      code = await main(run.args);
    } finally {
      streams.stdout.write = writes.stdout;
      streams.stderr.write = writes.stderr;
    }
    results.push({ code, ...out });
  }
  process.stdout.write(JSON.stringify(results));
})();
`;

/**
 * Runs the built CLI's main() (dist/src/cli.js, what bin/sspr-remediator.js calls) for each invocation in
 * turn, in ONE Node process: for commands that stop before any network call (settings and usage errors),
 * where a process per command would cost only start-up time. Node reads NODE_EXTRA_CA_CERTS once, at
 * start, so commands that reach the emulator need runCli. Nothing any command prints may carry a secret.
 */
export async function runCliBatch(invocations: CliInvocation[]): Promise<CliRun[]> {
  const cli = join(packageRoot(), 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm test does).`);
  const runs = invocations.map(({ args, env }) => ({
    args,
    env: Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)),
  }));
  const output = await runNode(
    ['-e', BATCH_DRIVER],
    { PATH: process.env.PATH ?? '' },
    'sspr-remediator (batch)',
    JSON.stringify({ cli, runs }),
  );
  const results = childJson(output, 'sspr-remediator (batch)') as CliRun[];
  results.forEach((run, n) => {
    assertNoSecrets(`the stdout of sspr-remediator ${invocations[n].args[0] ?? ''}`, run.stdout);
    assertNoSecrets(`the stderr of sspr-remediator ${invocations[n].args[0] ?? ''}`, run.stderr);
  });
  return results;
}
