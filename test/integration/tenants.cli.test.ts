import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorEnv } from '../../src/local/emulatorEnv';
import { parseJson, runCli, runCliBatch, type CliRun } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * Issue 15: `sspr-remediator tenants` as an operator runs it, against a real Azurite (the registry)
 * and the tenant emulator (`tenants check`). Nothing of ours is mocked.
 */
const world = useEmulatedWorld();
const AUDIT_FORBIDDEN = [
  { match: '^/v1\\.0/auditLogs/directoryAudits', kind: 'status' as const, status: 403, times: -1 },
];

/** Settings for commands that reach only the registry: Graph and the token endpoint point at a closed port. */
function registryEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return emulatorEnv(
    {
      graphUrl: 'https://127.0.0.1:9',
      tokenEndpoint: 'http://127.0.0.1:9',
      identityHeader: 'x',
      caCertPath: '',
    },
    { NODE_EXTRA_CA_CERTS: undefined, ...extra },
  );
}

const tenantsIn = (run: CliRun) => {
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return parseJson(run) as Array<Record<string, unknown>>;
};

describe('tenants: the registry in STATE_STORAGE', () => {
  test('when TENANTS names tenants, then every command first registers them, and add, list and remove keep one row each', async () => {
    // Arrange: two tenants in TENANTS, one more the operator adds.
    const [seededA, seededB, added] = [randomUUID(), randomUUID(), randomUUID()];
    const env = registryEnv({
      STATE_STORAGE: world.azurite.connectionString,
      TENANTS: `${seededA},${seededB}`,
      // Routing is checked against the ticket system (report mode does not need its other settings).
      TICKET_SYSTEM: 'azuredevops',
    });

    // Act
    const [seeded, add, addAgain, list, removeSeeded, remove, removeAgain, after] = await runCliBatch(
      [
        ['tenants', 'list', '--json'],
        ['tenants', 'add', added, '--name', 'Contoso Lab', '--mode-cap', 'report', '--project', 'IAM'],
        ['tenants', 'add', added.toUpperCase(), '--disabled'],
        ['tenants', 'list', '--json'],
        ['tenants', 'remove', seededA],
        ['tenants', 'remove', added],
        ['tenants', 'remove', added],
        ['tenants', 'list'],
      ].map((args) => ({ args, env })),
    );

    // Assert: the seed, added by 'TENANTS', enabled.
    expect(tenantsIn(seeded).map((tenant) => [tenant.tenantId, tenant.addedBy, tenant.enabled])).toEqual(
      [
        [seededA, 'TENANTS', true],
        [seededB, 'TENANTS', true],
      ].sort(),
    );
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toContain('Contoso Lab');
    expect(addAgain).toMatchObject({ code: 0, stderr: '' });
    // The second add changed the one row: disabled, its name and routing kept, the CLI user who added it kept.
    const registered = tenantsIn(list).filter((tenant) => tenant.tenantId === added);
    expect(registered).toEqual([
      {
        tenantId: added,
        name: 'Contoso Lab',
        enabled: false,
        modeCap: 'report',
        routing: { project: 'IAM' },
        addedBy: expect.stringMatching(/^cli:/),
        addedAt: expect.any(String),
      },
    ]);
    // A tenant TENANTS lists is refused with the fix; an added one goes; a second removal is an unknown tenant.
    expect(removeSeeded.code).toBe(2);
    expect(removeSeeded.stderr).toContain('error REGISTRY.IN_TENANTS');
    expect(removeSeeded.stderr).toContain('Remove it from TENANTS first');
    expect(remove).toMatchObject({ code: 0, stderr: '' });
    expect(removeAgain.code).toBe(1);
    expect(removeAgain.stderr).toContain('error REGISTRY.UNKNOWN_TENANT');
    expect(after.stdout).toContain(seededA);
    expect(after.stdout).not.toContain(added);
  });

  test('when a mode cap riskier than ACTION_MODE, a plain webhook URL or a hidden character is given, then add refuses it with exit 2 and writes nothing', async () => {
    const tenant = randomUUID();
    const env = registryEnv({
      STATE_STORAGE: world.azurite.connectionString,
      TENANTS: undefined,
      TICKET_SYSTEM: 'webhook',
    });

    const [cap, webhook, name, list] = await runCliBatch(
      [
        ['tenants', 'add', tenant, '--mode-cap', 'remediate'],
        ['tenants', 'add', tenant, '--webhook-url-secret', 'https://hooks.example.com/sspr?token=abc'],
        ['tenants', 'add', tenant, '--name', 'Contoso\u202Eevil'],
        ['tenants', 'list', '--json'],
      ].map((args) => ({ args, env })),
    );

    expect(cap.code).toBe(2);
    expect(cap.stderr).toContain('error REGISTRY.INVALID');
    expect(cap.stderr).toContain('ACTION_MODE=report');
    expect(webhook.code).toBe(2);
    expect(webhook.stderr).toContain('Key Vault');
    expect(webhook.stderr).not.toContain('token=abc');
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('invisible');
    expect(tenantsIn(list).map((each) => each.tenantId)).not.toContain(tenant);
  });

  test('when STATE_STORAGE is not set, then the registry is the TENANTS list, and add and remove name STATE_STORAGE (exit 2)', async () => {
    const [seeded, other] = [randomUUID(), randomUUID()];
    const env = registryEnv({ STATE_STORAGE: undefined, TENANTS: seeded });

    const [list, add, remove] = await runCliBatch(
      [
        ['tenants', 'list', '--json'],
        ['tenants', 'add', other],
        ['tenants', 'remove', seeded],
      ].map((args) => ({ args, env })),
    );

    expect(tenantsIn(list)).toEqual([{ tenantId: seeded, enabled: true, addedBy: 'TENANTS', addedAt: '' }]);
    for (const run of [add, remove]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('error REGISTRY.NEEDS_STATE');
      expect(run.stderr).toContain('STATE_STORAGE');
    }
  });
});

describe('tenants: command lines it refuses', () => {
  test('when the command line cannot work, then it exits 2 with CLI.USAGE, says why, and shows the tenants usage', async () => {
    const env = registryEnv({ STATE_STORAGE: undefined, TENANTS: undefined });
    const cases: Array<[string[], string]> = [
      [['tenants'], 'Say what to do: tenants list|add|remove|check'],
      [['tenants', 'frobnicate'], 'Say what to do'],
      [['tenants', 'add'], 'Name one tenant: tenants add <tenant id>'],
      [['tenants', 'add', 'contoso.onmicrosoft.com'], 'is not a tenant id'],
      [['tenants', 'list', randomUUID()], 'tenants list takes no tenant id'],
      [['tenants', 'remove', randomUUID(), '--name', 'x'], '--name is for tenants add only'],
      [['tenants', 'add', randomUUID(), '--json'], '--json is for tenants list and check'],
      [['tenants', 'add', randomUUID(), '--enabled', '--disabled'], 'not both'],
    ];

    const runs = await runCliBatch(cases.map(([args]) => ({ args, env })));

    runs.forEach((run, n) => {
      expect({ args: cases[n][0], code: run.code }).toEqual({ args: cases[n][0], code: 2 });
      expect(run.stderr).toContain('error CLI.USAGE');
      expect(run.stderr).toContain(cases[n][1]);
      expect(run.stderr).toContain('sspr-remediator tenants list|add|remove|check');
    });
  });
});

describe('tenants check', () => {
  test('when every read a scan needs works, then it says so and exits 0', async () => {
    const { emulator, tenantId } = await world.emulate('policy-on');

    const run = await runCli(['tenants', 'check', tenantId, '--json'], emulatorEnv(emulator));

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const check = parseJson(run);
    expect(check).toMatchObject({ tenantId, ok: true, token: { ok: true }, missingPermissions: [] });
    expect(check.reads.map((read: any) => [read.read, read.outcome])).toEqual([
      ['audit log', 'ok'],
      ['authorization policy', 'ok'],
      ['users', 'ok'],
      ['role assignments', 'ok'],
      ['role definitions', 'ok'],
      ['PIM active assignments', 'ok'],
      ['PIM eligible roles', 'ok'],
      ['SSPR registration', 'ok'],
    ]);
    // Each read once: the check is cheap, whatever a scan would read.
    expect(
      emulator.requests.filter((entry) => entry.path.endsWith('/auditLogs/directoryAudits')),
    ).toHaveLength(1);
  });

  test('when Graph refuses the audit log (403), then the missing permission is named and it exits 1', async () => {
    const { emulator, tenantId } = await world.emulate('policy-on', {
      change: (scenario) => ({ ...scenario, faults: AUDIT_FORBIDDEN }),
    });

    const [json, text] = await Promise.all([
      runCli(['tenants', 'check', tenantId, '--json'], emulatorEnv(emulator)),
      runCli(['tenants', 'check', tenantId], emulatorEnv(emulator)),
    ]);

    expect(json.code).toBe(1);
    const check = parseJson(json);
    expect(check).toMatchObject({
      ok: false,
      token: { ok: true },
      missingPermissions: ['AuditLog.Read.All'],
    });
    expect(check.reads[0]).toMatchObject({
      read: 'audit log',
      outcome: 'missing-permission',
      permission: 'AuditLog.Read.All',
      code: 'GRAPH.FORBIDDEN',
    });
    expect(check.reads.slice(1).every((read: any) => read.outcome === 'ok')).toBe(true);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('MISSING AuditLog.Read.All');
    expect(text.stdout).toContain('Missing application permissions: AuditLog.Read.All');
  });

  test('when no credential gives a token (the tenant never consented), then it says so, tries no read, and exits 1', async () => {
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

      const run = await runCli(['tenants', 'check', randomUUID(), '--json'], env);

      expect(run.code).toBe(1);
      expect(parseJson(run)).toMatchObject({
        ok: false,
        token: { ok: false, code: 'AUTH.NO_TOKEN' },
        reads: [],
        missingPermissions: [],
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
