import { spawn } from 'node:child_process';
import { assertNoSecrets } from './secretHygiene';

export interface ChildOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <args>` with exactly `env`, writes `input` to its stdin, and collects what it printed.
 * Its logs (stderr) must never carry an emulator token or secret: every test that starts a process
 * through here checks that, whatever else it asserts.
 */
export function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
  input?: string,
): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        assertNoSecrets(`the stderr of ${what}`, stderr);
        resolve({ code, stdout, stderr });
      } catch (err) {
        reject(err);
      }
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** The one JSON document a child printed on stdout, or an error showing everything it printed. */
export function childJson(output: ChildOutput, what: string): any {
  try {
    return JSON.parse(output.stdout);
  } catch {
    throw new Error(
      `${what} printed no JSON (exit ${output.code}):\n${output.stdout}\nstderr:\n${output.stderr}`,
    );
  }
}
