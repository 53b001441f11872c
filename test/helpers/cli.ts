import { cliPath } from '../../src/local/emulatorEnv';
import { runNode } from './nodeChild';
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
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
