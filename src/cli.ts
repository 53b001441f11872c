import { hostname, userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseIsoTime } from './core/scanMessage';
import { composeApp, type App } from './composition';
import type { ScanRequest, ScanResult } from './usecases/scanTenant';
import { recordOutcome } from './usecases/scanFleet';
import { loadConfig, type Config } from './config/config';
import { AppError, toAppError } from './errors';
import { HIDDEN_CHARACTER } from './core/hiddenCharacters';
import { fleetRunText, incidentsTable, scanResultText, tenantCheckText, tenantsTable } from './report';
import { planWindow } from './core/window';
import { ACTION_MODES, isActionMode, isTenantId, saferMode } from './core/modes';
import { fleetRunJson, incidentJson, scanResultJson } from './usecases/resultJson';
import { putTenant, removeTenant, type TenantInput } from './usecases/tenantRegistry';

/** Each command's usage, shown by `<command> --help` and under that command's usage errors. */
const COMMANDS = {
  scan: `  sspr-remediator scan [--tenant <id>] [--from <ISO time>] [--to <ISO time>] [--mode <mode>] [--json]
      Reads the tenant's SSPR audit events in the window, gives each user who failed a verdict,
      and records an SSPR_009 incident when administrators are blocked because admin SSPR is off.
      Then acts as the mode says (--mode overrides ACTION_MODE): report (default: changes nothing),
      ticket, remediate (ticket + fix + verify), approve (ticket; the fix waits for approval).
      --tenant defaults to TENANT_ID. --from/--to: a date (2026-11-25, midnight UTC) or a date-time
      with its time zone (2026-11-25T08:00:00Z, 2026-11-25T09:00:00+01:00), within the last 30 days;
      without them the window runs from the last scan (or SCAN_LOOKBACK ago) to now.
  sspr-remediator scan --all [--json]
      Scans every enabled tenant of the registry once (see tenants), the longest-unscanned first, each
      with its own window as above and in the safer of its mode cap and ACTION_MODE; one tenant's
      failure never stops the others. Exits 0 when every tenant scanned (or was busy elsewhere), 1 when
      any failed or, as for one tenant, any action failed. With FLEET_AUDIT_REQUESTS_PER_10S, every
      process shares one audit-log budget.`,
  incidents: `  sspr-remediator incidents [--tenant <id>] [--all] [--json]
      Lists unresolved incidents from STATE_STORAGE (--all: resolved ones too).`,
  approve: `  sspr-remediator approve <incident id> --by <name> [--override-hardening] [--tenant <id>] [--json]
      Records who approved the fix of an incident (ACTION_MODE=approve) and runs it. When the audit log
      shows admin SSPR was switched off on purpose, --override-hardening says you mean to revert that.`,
  tenants: `  sspr-remediator tenants list|add|remove|check …
      The tenants this deployment watches (issue 15), kept in STATE_STORAGE (table ssprTenants). Each
      command first adds the tenants TENANTS (or TENANT_ID) lists that are missing. Without STATE_STORAGE
      the list is the setting's, read-only.
        tenants list [--json]
            Each tenant: name, enabled, mode cap, how its last scan ended.
        tenants add <tenant id> [--name <text>] [--enabled | --disabled] [--mode-cap <mode>]
                    [--project <text>] [--assignment-group <text>] [--webhook-url-secret <Key Vault secret name>]
            Adds the tenant, or changes the given fields of a registered one. --mode-cap holds its scans to
            a mode no riskier than ACTION_MODE. --project (Azure DevOps, Jira, GitHub), --assignment-group
            (ServiceNow) and --webhook-url-secret route its tickets (an empty value removes one); a
            webhook URL only as the name of a secret in the deployment's Key Vault (KEY_VAULT_URI).
        tenants remove <tenant id>
            Removes a tenant TENANTS does not list (its incidents stay in STATE_STORAGE).
        tenants check <tenant id> [--json]
            Gets a token for the tenant and makes each read a scan needs; names every missing permission
            and the admin-consent URL (with FLEET_CLIENT_ID). Exits 1 when a read does not work.`,
  demo: `  sspr-remediator demo
      Runs a scan against the built-in tenant emulator and a local Azurite. No Azure account needed
      (needs the development dependencies: run it from a clone after npm ci).`,
} as const;
type Command = keyof typeof COMMANDS;

const FOOTER = `Exit codes: 0 the command ran (whatever it found), 1 it failed, 2 usage or settings error.
Settings come from environment variables; see README.md.`;

const USAGE = `Usage:
${Object.values(COMMANDS).join('\n')}
  sspr-remediator help [<command>]

${FOOTER}`;

function commandUsage(command: Command): string {
  return `Usage:\n${COMMANDS[command]}\n\n${FOOTER}`;
}

const isCommand = (name: string | undefined): name is Command =>
  name !== undefined && Object.hasOwn(COMMANDS, name);
const isHelp = (arg: string) => arg === '--help' || arg === '-h';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * The demo runs the tenant emulator (fastify, selfsigned) and Azurite: development dependencies, left out
 * of a production install (`npm ci --omit=dev`, NODE_ENV=production). Missing ones are named, not a stack trace.
 */
export const DEMO_PACKAGES = ['azurite', 'fastify', 'selfsigned'] as const;

export function assertDemoPackages(resolve: (id: string) => string = require.resolve): void {
  const missing = DEMO_PACKAGES.filter((name) => {
    try {
      resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new AppError(
      'CLI.DEMO_UNAVAILABLE',
      `The demo needs the development dependencies ${missing.join(', ')}, which this install left out (npm ci --omit=dev or NODE_ENV=production). In a clone of the repository, run npm ci (with dev dependencies), then npm run demo.`,
    );
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Asking for help is never a usage error, wherever the flag stands among the command's options.
    if (isCommand(command) && rest.some(isHelp)) return help(command);
    switch (command) {
      case 'scan':
        return await scan(rest);
      case 'incidents':
        return await incidents(rest);
      case 'approve':
        return await approve(rest);
      case 'tenants':
        return await tenants(rest);
      case 'demo':
        parse(rest, {});
        // Loaded on demand: the emulator and its HTTPS server are not part of a real scan.
        assertDemoPackages();
        return await (await import('./local/demo')).runDemo();
      case 'help':
        if (rest.length > 1 || (rest[0] !== undefined && !isCommand(rest[0])))
          throw usage(`help takes one command name, one of ${Object.keys(COMMANDS).join(', ')}.`);
        return help(rest[0]);
      case '--help':
      case '-h':
        return help();
      case undefined:
        throw usage('Name a command.');
      default:
        throw usage(`Unknown command "${command}".`);
    }
  } catch (err) {
    const error = toAppError(err);
    // A command line that cannot work is followed by how to write it: that command's usage if one was named.
    const how = error.code === 'CLI.USAGE' ? `\n\n${isCommand(command) ? commandUsage(command) : USAGE}` : '';
    process.stderr.write(`error ${error.code}: ${error.message}${how}\n`);
    return error.exitCode;
  }
}

function help(command?: Command): number {
  process.stdout.write(`${command ? commandUsage(command) : USAGE}\n`);
  return EXIT.ok;
}

async function scan(args: string[]): Promise<number> {
  const { values } = parse(args, {
    all: { type: 'boolean', default: false },
    tenant: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    mode: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const mode = values.mode as string | undefined;
  if (mode !== undefined && !isActionMode(mode)) {
    throw usage(`--mode "${mode}" is not one of ${ACTION_MODES.join(', ')}.`);
  }
  if (values.all) {
    const alone = (['tenant', 'from', 'to', 'mode'] as const).find((flag) => values[flag] !== undefined);
    if (alone)
      throw usage(
        `--all scans each tenant from its own checkpoint in its own mode: it takes no --${alone}. Scan one tenant with --tenant to choose that.`,
      );
    return scanAll(values.json as boolean);
  }
  const config = loadConfig(process.env, { actionMode: mode });
  const tenantId = tenantOf(values.tenant as string | undefined, config);
  const from = isoTime('--from', values.from as string | undefined);
  const to = isoTime('--to', values.to as string | undefined);
  // The scan's own window rules (not in the future, not wholly past the retention), before anything is read.
  if (from || to)
    planWindow({ now: new Date(), from, to, lookbackMs: config.lookbackMs, overlapMs: config.overlapMs });
  const app = composeApp(config);
  const progress =
    values.json || !process.stderr.isTTY
      ? undefined
      : (message: string) => process.stderr.write(`\r${message}\x1b[K`);
  const result = await scanRegistered(app, config, { tenantId, from, to }, progress).finally(() =>
    app.close(),
  );
  if (progress) process.stderr.write('\n');
  process.stdout.write(
    values.json ? `${JSON.stringify(scanResultJson(result), null, 2)}\n` : `${scanResultText(result)}\n`,
  );
  for (const failure of result.actionErrors)
    process.stderr.write(`error ${failure.code}: incident ${failure.incidentId}: ${failure.message}\n`);
  return result.actionErrors.length > 0 ? EXIT.failed : EXIT.ok;
}

/**
 * One tenant's scan as its registry entry says when it has one (mode cap, ticket routing, its last
 * scan recorded); a disabled one is refused. A tenant nobody registered is scanned as asked: a person
 * at a terminal may look at any tenant their credential reaches.
 */
async function scanRegistered(
  app: App,
  config: Config,
  request: ScanRequest,
  progress: ((message: string) => void) | undefined,
): Promise<ScanResult> {
  const registry = await app.tenants();
  const tenant = await registry.get(request.tenantId);
  if (tenant && !tenant.enabled)
    throw new AppError(
      'SCAN.TENANT_DISABLED',
      `Tenant ${tenant.tenantId} is disabled in the registry. Enable it first: sspr-remediator tenants add ${tenant.tenantId} --enabled.`,
    );
  const mode = saferMode(tenant?.modeCap, config.actionMode);
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  try {
    const result = await app.scan(request, { progress, mode, routing: tenant?.routing });
    if (tenant) await recordOutcome(registry, { tenantId: tenant.tenantId, result }, new Date(), warn);
    return result;
  } catch (err) {
    const error = toAppError(err);
    if (tenant && error.code !== 'SCAN.TENANT_BUSY')
      await recordOutcome(
        registry,
        { tenantId: tenant.tenantId, error: { code: error.code, message: error.message } },
        new Date(),
        warn,
      );
    throw err;
  }
}

async function scanAll(json: boolean): Promise<number> {
  const app = composeApp(loadConfig());
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const run = await app.scanAll({ warn }).finally(() => app.close());
  process.stdout.write(json ? `${JSON.stringify(fleetRunJson(run), null, 2)}\n` : `${fleetRunText(run)}\n`);
  // The same rule as one tenant's scan: a failed scan, or an action that failed (retried next time), exits 1.
  let failed = false;
  for (const outcome of run.outcomes) {
    const errors =
      'error' in outcome ? [outcome.error] : 'result' in outcome ? outcome.result.actionErrors : [];
    for (const error of errors)
      process.stderr.write(`error ${error.code}: tenant ${outcome.tenantId}: ${error.message}\n`);
    failed ||= errors.length > 0;
  }
  return failed ? EXIT.failed : EXIT.ok;
}

async function approve(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      tenant: { type: 'string' },
      by: { type: 'string' },
      'override-hardening': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    { positionals: true },
  );
  const incidentId = positionals[0];
  if (!incidentId || positionals.length > 1)
    throw usage('Name one incident: approve <incident id> --by <name>.');
  const by = (values.by as string | undefined)?.trim();
  if (!by) throw usage('Say who approves: --by <name or UPN> (kept in the incident history and the ticket).');
  if (HIDDEN_CHARACTER.test(by))
    throw usage(
      '--by must not contain control or invisible formatting characters (such as U+202E): type the name plainly.',
    );
  const config = loadConfig();
  const tenantId = tenantOf(values.tenant as string | undefined, config);
  const app = composeApp(config);
  const overrideHardening = values['override-hardening'] === true;
  const incident = await app
    .approve(tenantId, incidentId.toLowerCase(), by, { overrideHardening })
    .finally(() => app.close());
  process.stdout.write(
    values.json ? `${JSON.stringify(incidentJson(incident), null, 2)}\n` : `${incidentsTable([incident])}\n`,
  );
  return EXIT.ok;
}

async function incidents(args: string[]): Promise<number> {
  const { values } = parse(args, {
    tenant: { type: 'string' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const config = loadConfig();
  if (!config.stateStorage)
    throw usage('incidents reads STATE_STORAGE, which is not set: scans without state keep no incidents.');
  const tenant = values.tenant as string | undefined;
  if (tenant !== undefined && !isTenantId(tenant))
    throw usage(`--tenant "${tenant}" is not a tenant id (a GUID).`);
  const list = await composeApp(config).state.listIncidents(tenant?.toLowerCase(), {
    all: values.all as boolean,
  });
  process.stdout.write(
    values.json ? `${JSON.stringify(list.map(incidentJson), null, 2)}\n` : `${incidentsTable(list)}\n`,
  );
  return EXIT.ok;
}

const TENANT_COMMANDS = ['list', 'add', 'remove', 'check'] as const;
/** `--json` is for list and check; every other option is one of `tenants add`'s fields. */
const TENANT_OPTIONS = {
  json: { type: 'boolean', default: false },
  name: { type: 'string' },
  enabled: { type: 'boolean' },
  disabled: { type: 'boolean' },
  'mode-cap': { type: 'string' },
  project: { type: 'string' },
  'assignment-group': { type: 'string' },
  'webhook-url-secret': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

async function tenants(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parse(rest, TENANT_OPTIONS, { positionals: true });
  if (!(TENANT_COMMANDS as readonly string[]).includes(action ?? ''))
    throw usage(`Say what to do: tenants ${TENANT_COMMANDS.join('|')}.`);
  const addOnly = Object.keys(TENANT_OPTIONS).filter((flag) => flag !== 'json');
  const misplaced = addOnly.filter(
    (flag) => action !== 'add' && (values as Record<string, unknown>)[flag] !== undefined,
  );
  if (misplaced.length > 0) throw usage(`--${misplaced[0]} is for tenants add only.`);
  if (values.json && (action === 'add' || action === 'remove'))
    throw usage(`--json is for tenants list and check.`);
  const tenantId = positionals[0];
  if (action === 'list' ? positionals.length > 0 : positionals.length !== 1 || !tenantId)
    throw usage(
      action === 'list'
        ? 'tenants list takes no tenant id.'
        : `Name one tenant: tenants ${action} <tenant id>.`,
    );
  if (tenantId !== undefined && !isTenantId(tenantId))
    throw usage(`"${tenantId}" is not a tenant id. Use the directory (tenant) id, a GUID.`);
  if (values.enabled && values.disabled) throw usage('Give --enabled or --disabled, not both.');

  const config = loadConfig();
  const app = composeApp(config);
  try {
    const registry = await app.tenants();
    const print = (text: string) => process.stdout.write(`${text}\n`);
    switch (action) {
      case 'list': {
        const list = await registry.list();
        print(values.json ? JSON.stringify(list, null, 2) : tenantsTable(list));
        return EXIT.ok;
      }
      case 'add': {
        const tenant = await putTenant(registry, config, tenantId, tenantInput(values), operator());
        print(tenantsTable([tenant]));
        return EXIT.ok;
      }
      case 'remove':
        await removeTenant(registry, config.tenants, tenantId);
        print(`Removed tenant ${tenantId.toLowerCase()}. Its incidents and history stay in STATE_STORAGE.`);
        return EXIT.ok;
      default: {
        const check = await app.checkTenant(tenantId.toLowerCase());
        print(values.json ? JSON.stringify(check, null, 2) : tenantCheckText(check));
        return check.ok ? EXIT.ok : EXIT.failed;
      }
    }
  } finally {
    await app.close();
  }
}

/** The flags of `tenants add`, as the use case takes them; a flag not given changes nothing. */
function tenantInput(values: Record<string, unknown>): TenantInput {
  const text = (name: string) => values[name] as string | undefined;
  const routing = {
    ...(text('project') !== undefined ? { project: text('project') } : {}),
    ...(text('assignment-group') !== undefined ? { assignmentGroup: text('assignment-group') } : {}),
    ...(text('webhook-url-secret') !== undefined ? { webhookUrlSecret: text('webhook-url-secret') } : {}),
  };
  return {
    ...(text('name') !== undefined ? { name: text('name') } : {}),
    ...(values.enabled ? { enabled: true } : values.disabled ? { enabled: false } : {}),
    ...(text('mode-cap') !== undefined ? { modeCap: text('mode-cap') } : {}),
    ...(Object.keys(routing).length > 0 ? { routing } : {}),
  };
}

/** Who added a tenant from the command line: the local account, as the registry shows it. */
function operator(): string {
  try {
    return `cli:${userInfo().username}@${hostname()}`;
  } catch {
    return `cli@${hostname()}`;
  }
}

function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  { positionals = false } = {},
) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
}

function tenantOf(flag: string | undefined, config: Config): string {
  const tenant = flag ?? config.tenantId;
  if (!tenant) throw usage('Name the tenant: --tenant <tenant id> or the TENANT_ID setting.');
  if (!isTenantId(tenant))
    throw usage(`--tenant "${tenant}" is not a tenant id. Use the directory (tenant) id, a GUID.`);
  return tenant.toLowerCase();
}

/** The HTTP API's rule: a date, or a date-time with its zone. A time without one would be this machine's local time. */
function isoTime(flag: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = parseIsoTime(text);
  if (at) return at;
  if (parseIsoTime(`${text}Z`)) {
    throw usage(
      `${flag} "${text}" has no time zone, so it would be read as this computer's local time. Add one: ${text}Z for UTC, or an offset such as ${text}+01:00.`,
    );
  }
  throw usage(
    `${flag} "${text}" is not a valid ISO 8601 date or time. Use a date (2026-11-25) or a date-time with its time zone (2026-11-25T08:00:00Z).`,
  );
}

/** main() prints the usage of the command after the message. */
function usage(message: string): AppError {
  return new AppError('CLI.USAGE', message);
}
