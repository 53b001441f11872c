import { childJson, runNode } from './nodeChild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/local/packageRoot';

export interface SinkStep {
  op: 'find' | 'create' | 'update';
  args: unknown[];
}

/** What one step gave back: `ok` with the returned value (absent for undefined), or the error's code and message. */
export interface SinkStepResult {
  ok?: true;
  value?: any;
  error?: { code: string | null; message: string; transient: boolean };
}

export interface SinkRun {
  results: SinkStepResult[];
  stdout: string;
  stderr: string;
}

export interface SinkInChildOptions {
  /** The compiled module under dist/, e.g. 'src/adapters/tickets/githubSink.js'. */
  module: string;
  /** The exported settings loader (env → settings) and sink class. */
  loader: string;
  sinkClass: string;
  /** The sink's settings: with PATH, all the child's environment (nothing ambient leaks in). */
  env: Record<string, string>;
  /** PEM the child trusts at start-up (NODE_EXTRA_CA_CERTS): the only way Node's fetch trusts the emulator. */
  caCertPath: string;
  steps: SinkStep[];
  /** Second constructor argument (retry pacing for tests). */
  sinkOptions?: Record<string, unknown>;
}

// Runs in the child: builds the sink from its env exactly as the app would and runs the steps in order,
// stopping at the first error. Prints one JSON document.
const DRIVER = `
const mod = require(process.env.SINK_MODULE);
(async () => {
  const out = [];
  const failed = (err) => ({ error: { code: err && err.code ? err.code : null, message: String(err && err.message), transient: Boolean(err && err.transient) } });
  try {
    const settings = require(process.env.SINK_MODULE.replace(/adapters[\\/]tickets[\\/][^\\/]+$/, 'config/tickets.js'));
    const sink = new mod[process.env.SINK_CLASS](settings[process.env.SINK_LOADER](process.env), JSON.parse(process.env.SINK_OPTIONS));
    for (const step of JSON.parse(process.env.SINK_STEPS)) {
      try {
        out.push({ ok: true, value: await sink[step.op](...step.args) });
      } catch (err) {
        out.push(failed(err));
        break;
      }
    }
  } catch (err) {
    out.push(failed(err));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/** Runs a ticket sink from dist/ in its own Node process against the emulator's HTTPS fakes. */
export async function runSinkInChild(options: SinkInChildOptions): Promise<SinkRun> {
  const modulePath = join(packageRoot(), 'dist', options.module);
  if (!existsSync(modulePath))
    throw new Error(`${modulePath} is missing: run \`npm run build\` before the integration tests.`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    ...options.env,
    NODE_EXTRA_CA_CERTS: options.caCertPath,
    SINK_MODULE: modulePath,
    SINK_LOADER: options.loader,
    SINK_CLASS: options.sinkClass,
    SINK_STEPS: JSON.stringify(options.steps),
    SINK_OPTIONS: JSON.stringify(options.sinkOptions ?? {}),
  };
  const output = await runNode(['-e', DRIVER], env, 'the sink process');
  return { results: childJson(output, 'the sink process'), stdout: output.stdout, stderr: output.stderr };
}
