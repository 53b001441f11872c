import { parseArgs, type ParseArgsConfig } from 'node:util';
import { composeApp } from './composition';
import { isTenantId, loadConfig, type Config } from './config';
import { AppError, toAppError } from './errors';
import { incidentsTable, scanResultJson, scanResultText } from './report';

const USAGE = `Usage:
  sspr-remediator scan [--tenant <id>] [--from <ISO time>] [--to <ISO time>] [--json]
      Reads the tenant's SSPR audit events in the window, gives each user who failed a verdict,
      and records an SSPR_009 incident when administrators are blocked because admin SSPR is off.
      Report only: nothing in the tenant is changed. --tenant defaults to TENANT_ID.
  sspr-remediator incidents [--tenant <id>] [--json]
      Lists open incidents from STATE_STORAGE.
  sspr-remediator demo
      Runs a scan against the built-in tenant emulator and a local Azurite. No Azure account needed.

Exit codes: 0 the command ran (whatever it found), 1 it failed, 2 usage or settings error.
Settings come from environment variables; see README.md.`;

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await scan(rest);
      case 'incidents':
        return await incidents(rest);
      case 'demo':
        // Loaded on demand: the emulator and its HTTPS server are not part of a real scan.
        return await (await import('./local/demo')).runDemo();
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw usage(`Unknown command "${command}".`);
    }
  } catch (err) {
    const error = toAppError(err);
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    return error.code === 'CONFIG.INVALID' || error.code === 'CLI.USAGE' ? EXIT.usage : EXIT.failed;
  }
}

async function scan(args: string[]): Promise<number> {
  const { values } = parse(args, {
    tenant: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const config = loadConfig();
  const tenantId = tenantOf(values.tenant as string | undefined, config);
  const from = isoTime('--from', values.from as string | undefined);
  const to = isoTime('--to', values.to as string | undefined);
  const app = composeApp(config);
  const progress = values.json || !process.stderr.isTTY ? undefined : (message: string) => process.stderr.write(`\r${message}\x1b[K`);
  const result = await app.scan({ tenantId, from, to }, progress);
  if (progress) process.stderr.write('\n');
  process.stdout.write(values.json ? `${JSON.stringify(scanResultJson(result), null, 2)}\n` : `${scanResultText(result)}\n`);
  return EXIT.ok;
}

async function incidents(args: string[]): Promise<number> {
  const { values } = parse(args, { tenant: { type: 'string' }, json: { type: 'boolean', default: false } });
  const config = loadConfig();
  if (!config.stateStorage) throw usage('incidents reads STATE_STORAGE, which is not set: scans without state keep no incidents.');
  const tenant = values.tenant as string | undefined;
  if (tenant !== undefined && !isTenantId(tenant)) throw usage(`--tenant "${tenant}" is not a tenant id (a GUID).`);
  const list = await composeApp(config).state.listIncidents(tenant?.toLowerCase());
  process.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n` : `${incidentsTable(list)}\n`);
  return EXIT.ok;
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
}

function tenantOf(flag: string | undefined, config: Config): string {
  const tenant = flag ?? config.tenantId;
  if (!tenant) throw usage('Name the tenant: --tenant <tenant id> or the TENANT_ID setting.');
  if (!isTenantId(tenant)) throw usage(`--tenant "${tenant}" is not a tenant id. Use the directory (tenant) id, a GUID.`);
  return tenant.toLowerCase();
}

function isoTime(flag: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw usage(`${flag} "${text}" is not an ISO 8601 time. Use e.g. 2026-11-25T08:00:00Z.`);
  return at;
}

function usage(message: string): AppError {
  return new AppError('CLI.USAGE', `${message}\n\n${USAGE}`);
}
