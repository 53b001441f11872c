import { emulatorEnv } from '../../src/local/emulatorEnv';
import { runCli } from '../helpers/cli';

/**
 * What the CLI says before it touches a tenant: help, and the command lines and settings it refuses.
 * Nothing here reaches Graph: the endpoints point at a closed port.
 */
const offline = emulatorEnv({ graphUrl: 'https://127.0.0.1:9', tokenEndpoint: 'http://127.0.0.1:9', identityHeader: 'x', caCertPath: '/dev/null' });
const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const COMMANDS = ['scan', 'incidents', 'approve', 'demo'];

describe('help', () => {
  test('when the CLI is run with --help, -h or help alone, then it prints every command, exactly those with their own help below, and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const run = await runCli([flag], offline);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const listed = [...run.stdout.matchAll(/^ {2}sspr-remediator (\w+)/gm)].map((match) => match[1]);
      expect(listed.filter((name) => name !== 'help').sort()).toEqual([...COMMANDS].sort());
    }
  });

  test.each(COMMANDS)('when it is run as "%s --help", then it prints that command\'s usage only and exits 0', async (command) => {
    const run = await runCli([command, '--help'], offline);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`sspr-remediator ${command}`);
    for (const other of COMMANDS.filter((name) => name !== command)) expect(run.stdout).not.toContain(`sspr-remediator ${other}`);
    expect(run.stdout).toContain('Exit codes');
  });

  test('when -h follows other options, or help is asked for as "help <command>", then it is still that command\'s help', async () => {
    for (const args of [['approve', 'some-incident', '--by', 'ops', '-h'], ['help', 'incidents']]) {
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
