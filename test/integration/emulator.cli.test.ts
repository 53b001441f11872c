import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { loadScenario } from '../../emulator';
import { packageRoot } from '../../src/local/packageRoot';
import { assertNoSecrets } from '../helpers/secretHygiene';

/**
 * `npm run emulator` by hand: what it prints must be enough to scan the emulated tenant, pasted as is
 * into another shell. The identity header it prints is an emulator secret: never echo that output.
 */
const masked = (text: string) => text.replace(/EMULATOR-(TOKEN|SECRET)-[\w-]*/g, 'EMULATOR-$1-…');

function startEmulatorCli(scenario: string): { child: ChildProcess; printed: Promise<string> } {
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'emulator', 'cli.js'), scenario], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const printed = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      // The last line it prints before it waits for Ctrl+C is the scan command.
      if (/ scan --tenant \S+\n/.test(stdout)) resolve(stdout);
    });
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) =>
      reject(
        new Error(
          `the emulator exited (${code}) before printing a scan command:\n${masked(stdout)}\n${masked(stderr)}`,
        ),
      ),
    );
  });
  return { child, printed };
}

function runInShell(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // A shell like the operator's: this node first on PATH, and no Azure credential of the test machine.
  const env = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
  };
  return new Promise((resolve, reject) => {
    const shell = spawn('sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (chunk) => (stdout += chunk));
    shell.stderr.on('data', (chunk) => (stderr += chunk));
    shell.on('error', reject);
    shell.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run emulator', () => {
  test('when it starts a scenario, then it prints the tenant id and a scan command that, pasted into a shell, scans that tenant', async () => {
    const { child, printed } = startEmulatorCli('admin-policy-off');
    try {
      const stdout = await printed;
      const tenantId = /^Tenant id: (\S+)$/m.exec(stdout)?.[1];
      expect(tenantId).toBe(loadScenario('admin-policy-off').tenantId);
      const command = stdout.trimEnd().split('\n').pop()!.trim();
      for (const setting of [
        'GRAPH_ENDPOINT=',
        'IDENTITY_ENDPOINT=',
        'IDENTITY_HEADER=',
        'NODE_EXTRA_CA_CERTS=',
      ])
        expect(masked(command)).toContain(setting);
      expect(masked(command)).toMatch(new RegExp(`sspr-remediator\\.js scan --tenant ${tenantId}$`));

      const scan = await runInShell(`${command} --json`);
      assertNoSecrets('the pasted scan', scan.stdout + scan.stderr);
      expect({ code: scan.code, stderr: scan.stderr }).toEqual({ code: 0, stderr: '' });
      const result = JSON.parse(scan.stdout);
      expect(result.tenantId).toBe(tenantId);
      expect(result.findings.map((finding: { verdict: string }) => finding.verdict)).toEqual(['confirmed']);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
  }, 180_000);
});
