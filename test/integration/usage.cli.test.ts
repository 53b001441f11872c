import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorEnv } from '../../src/local/emulatorEnv';
import { runCli } from '../helpers/cli';

/**
 * What the CLI says before it touches a tenant: help, and the command lines and settings it refuses.
 * Nothing here reaches Graph: the endpoints point at a closed port.
 */
const offline = emulatorEnv({
  graphUrl: 'https://127.0.0.1:9',
  tokenEndpoint: 'http://127.0.0.1:9',
  identityHeader: 'x',
  caCertPath: '/dev/null',
});
const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const COMMANDS = ['scan', 'incidents', 'approve', 'tenants', 'demo'];

describe('help', () => {
  test('when the CLI is run with --help, -h or help alone, then it prints every command, exactly those with their own help below, and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const run = await runCli([flag], offline);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const listed = [...run.stdout.matchAll(/^ {2}sspr-remediator (\w+)/gm)].map((match) => match[1]);
      // A command may show several forms (scan, scan --all): each command once.
      expect([...new Set(listed)].filter((name) => name !== 'help').sort()).toEqual([...COMMANDS].sort());
    }
  });

  test.each(COMMANDS)(
    'when it is run as "%s --help", then it prints that command\'s usage only and exits 0',
    async (command) => {
      const run = await runCli([command, '--help'], offline);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`sspr-remediator ${command}`);
      for (const other of COMMANDS.filter((name) => name !== command))
        expect(run.stdout).not.toContain(`sspr-remediator ${other}`);
      expect(run.stdout).toContain('Exit codes');
    },
  );

  test('when -h follows other options, or help is asked for as "help <command>", then it is still that command\'s help', async () => {
    for (const args of [
      ['approve', 'some-incident', '--by', 'ops', '-h'],
      ['help', 'incidents'],
    ]) {
      const run = await runCli(args, offline);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`sspr-remediator ${args[0] === 'help' ? args[1] : args[0]}`);
    }
  });

  test.each([
    [[], 'Name a command'],
    [['demo', '--bogus'], "Unknown option '--bogus'"],
    [['approve', 'some-incident', '--bogus'], "Unknown option '--bogus'"],
    [['help', 'frobnicate'], 'help takes one command name'],
  ])('when the command line is %j, then it exits 2 with CLI.USAGE and the usage', async (args, message) => {
    const run = await runCli(args, offline);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error CLI.USAGE: ${message}`);
    expect(run.stderr).toContain('Usage:');
  });
});

describe('the scan window', () => {
  test.each(['--from', '--to'])(
    'when %s is a time without a time zone, then it is refused with exit 2, naming the option, the value and how to add the zone',
    async (flag) => {
      const run = await runCli(['scan', '--tenant', TENANT, flag, '2026-11-25T08:00'], offline);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`error CLI.USAGE: ${flag} "2026-11-25T08:00" has no time zone`);
      expect(run.stderr).toContain('2026-11-25T08:00Z');
    },
  );

  test.each([
    [
      'wholly older than the audit retention',
      ['--from', '2020-01-01', '--to', '2020-01-02'],
      'Ask for a window that ends after',
    ],
    ['ending in the future', ['--to', '2999-01-01T00:00:00Z'], 'in the future'],
    [
      'ending before it starts',
      ['--from', '2026-11-25T08:00:00Z', '--to', '2026-11-24T08:00:00Z'],
      'must be before its end',
    ],
    ['not a calendar date', ['--from', '2026-02-30'], 'is not a valid ISO 8601 date or time'],
  ])(
    'when the window is %s, then the scan exits 2 (usage), like every invalid window, and says what to do',
    async (_what, window, fix) => {
      const run = await runCli(['scan', '--tenant', TENANT, ...window], offline);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error (SCAN\.WINDOW_INVALID|CLI\.USAGE): /);
      expect(run.stderr).toContain(fix);
    },
  );
});

describe('settings and credentials', () => {
  test('when REMEDIATION_WAIT is "forever", then the limit reads as people write durations (30m), not as a fraction of a day', async () => {
    const run = await runCli(['scan', '--tenant', TENANT], { ...offline, REMEDIATION_WAIT: 'forever' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'REMEDIATION_WAIT="forever": REMEDIATION_WAIT must be a positive duration up to 30m',
    );
    expect(run.stderr).not.toMatch(/\d\.\d+ days/);
  });

  test('when no credential gives a token, then AUTH.NO_TOKEN names each credential DefaultAzureCredential tried, and no word is cut', async () => {
    // A managed-identity endpoint that refuses at once; no az, pwsh or azd on PATH; an empty home.
    const refusing = createServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_request', error_description: 'no identity here' }));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const home = mkdtempSync(join(tmpdir(), 'sspr-no-credential-'));
    try {
      const env = {
        PATH: '/nonexistent',
        HOME: home,
        IDENTITY_ENDPOINT: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/msi/token`,
        IDENTITY_HEADER: 'x',
      };
      const run = await runCli(['scan', '--tenant', TENANT], env);
      expect(run.code).toBe(1);
      const message = /^error AUTH\.NO_TOKEN: (.*)$/m.exec(run.stderr)?.[1] ?? run.stderr;
      for (const credential of ['EnvironmentCredential', 'ManagedIdentityCredential', 'Azure CLI'])
        expect(message).toContain(credential);
      expect(message).toContain('run az login');
      // Each credential's clause ends where its sentence does, never inside a word.
      const tried = /Tried: (.*?)\. Use /.exec(message);
      expect(tried).not.toBeNull();
      for (const clause of tried![1].split('; ')) expect(clause).toMatch(/\w…?$/);
    } finally {
      rmSync(home, { recursive: true, force: true });
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
