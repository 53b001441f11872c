import { existsSync, readFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { formatDuration, parseDuration } from './core/duration';
import { AppError } from './errors';
import { signatureFileSchema, type Signature } from './core/signatures';

/** Endpoints per national cloud (DESIGN.md §2). Every one can be overridden by a setting. */
export const CLOUDS = {
  AzurePublic: { graph: 'https://graph.microsoft.com', login: 'https://login.microsoftonline.com' },
  AzureUSGovernment: { graph: 'https://graph.microsoft.us', login: 'https://login.microsoftonline.us' },
  AzureUSGovernmentDoD: {
    graph: 'https://dod-graph.microsoft.us',
    login: 'https://login.microsoftonline.us',
  },
  AzureChina: { graph: 'https://microsoftgraph.chinacloudapi.cn', login: 'https://login.chinacloudapi.cn' },
} as const;
export type CloudName = keyof typeof CLOUDS;

export const ACTION_MODES = ['report', 'ticket', 'remediate', 'approve'] as const;
export const TICKET_SYSTEMS = ['servicenow', 'jira', 'azuredevops', 'github', 'webhook'] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

const blankIsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function duration(name: string, fallback: string, max: number, min = 1) {
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined || ms < min || ms > max) {
          const range =
            min > 1
              ? `a duration from ${formatDuration(min)} to ${formatDuration(max)}`
              : `a positive duration up to ${formatDuration(max)}`;
          ctx.addIssue({
            code: 'custom',
            message: `${name} must be ${range}, written as a number and s, m, h or d (90s, 30m, 2h, 1d) or in ISO 8601 (PT10M).`,
          });
          return z.NEVER;
        }
        return ms;
      }),
  );
}

function wholeNumber(name: string, min: number, max: number, fallback: number, why = '') {
  const message = `${name} must be a whole number from ${min} to ${max}${why}.`;
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(/^\d+$/, { message })
      .transform(Number)
      .pipe(z.number().min(min, { message }).max(max, { message }))
      .default(fallback),
  );
}

function httpsUrl(name: string) {
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .optional()
      .refine((text) => text === undefined || isHttpsUrl(text), {
        message: `${name} must be an absolute https:// URL without a path, e.g. https://graph.microsoft.com (tokens are only ever sent over https).`,
      })
      .transform((text) => text?.replace(/\/+$/, '')),
  );
}

function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && (url.pathname === '/' || url.pathname === '') && !url.search;
  } catch {
    return false;
  }
}

const FLEET_MESSAGE =
  'FLEET_AUDIT_REQUESTS_PER_10S must be a whole number from 1 to 122 (Graph allows 122 audit-log requests per 10 s per app across all tenants), or unset to pace each scan on its own.';

const settingsSchema = z.object({
  AZURE_CLOUD: z.preprocess(
    blankIsUnset,
    z
      .enum(Object.keys(CLOUDS) as [CloudName, ...CloudName[]], {
        message: `AZURE_CLOUD must be one of ${Object.keys(CLOUDS).join(', ')}.`,
      })
      .default('AzurePublic'),
  ),
  GRAPH_ENDPOINT: httpsUrl('GRAPH_ENDPOINT'),
  TENANT_ID: z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(GUID, {
        message:
          'TENANT_ID must be the directory (tenant) id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47.',
      })
      .transform((id) => id.toLowerCase())
      .optional(),
  ),
  SCAN_LOOKBACK: duration('SCAN_LOOKBACK', '24h', 30 * DAY_MS),
  // Audit events land up to ~5 minutes late (p99): a shorter overlap would miss them.
  SCAN_OVERLAP: duration('SCAN_OVERLAP', '10m', DAY_MS, 5 * 60_000),
  STATE_STORAGE: z.preprocess(
    blankIsUnset,
    z
      .string()
      .optional()
      .refine((text) => text === undefined || isStorageConnection(text), {
        message:
          'STATE_STORAGE must be a storage connection string (UseDevelopmentStorage=true, or one with AccountName and AccountKey/SharedAccessSignature or TableEndpoint) or an https:// table endpoint URL used with the managed identity.',
      }),
  ),
  AUDIT_REQUESTS_PER_10S: wholeNumber(
    'AUDIT_REQUESTS_PER_10S',
    1,
    122,
    5,
    ' (Graph allows 5 per 10 s per tenant, 122 across tenants)',
  ),
  // Unset: each scan paces only its own tenant. Set: every instance shares this allowance through STATE_STORAGE.
  FLEET_AUDIT_REQUESTS_PER_10S: z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(/^\d+$/, { message: FLEET_MESSAGE })
      .transform(Number)
      .pipe(z.number().min(1, { message: FLEET_MESSAGE }).max(122, { message: FLEET_MESSAGE }))
      .optional(),
  ),
  GRAPH_MAX_ATTEMPTS: wholeNumber('GRAPH_MAX_ATTEMPTS', 1, 20, 6),
  SSPR_SIGNATURES: z.preprocess(blankIsUnset, z.string().optional()),
  ACTION_MODE: z.preprocess(
    blankIsUnset,
    z
      .enum(ACTION_MODES, {
        message: `ACTION_MODE must be one of ${ACTION_MODES.join(', ')} (report changes nothing outside our own state).`,
      })
      .default('report'),
  ),
  REMEDIATION_METHOD: z.preprocess(
    blankIsUnset,
    z
      .enum(['runbook', 'graph'], {
        message:
          'REMEDIATION_METHOD must be runbook (Azure Automation, default) or graph (direct PATCH, needs Policy.ReadWrite.Authorization).',
      })
      .default('runbook'),
  ),
  TICKET_SYSTEM: z.preprocess(
    blankIsUnset,
    z
      .enum(TICKET_SYSTEMS, { message: `TICKET_SYSTEM must be one of ${TICKET_SYSTEMS.join(', ')}.` })
      .optional(),
  ),
  ALLOW_REVERTING_HARDENING: z.preprocess(
    blankIsUnset,
    z
      .enum(['true', 'false'], { message: 'ALLOW_REVERTING_HARDENING must be true or false.' })
      .default('false')
      .transform((text) => text === 'true'),
  ),
  REMEDIATION_WAIT: duration('REMEDIATION_WAIT', '2m', 30 * 60_000),
  // Blob leases last 15–60 s; a crashed scan blocks its tenant at most this long.
  TENANT_LEASE_SECONDS: wholeNumber(
    'TENANT_LEASE_SECONDS',
    15,
    60,
    60,
    ' (Blob leases last 15 to 60 seconds)',
  ),
  VERIFY_FOR: duration('VERIFY_FOR', '60m', DAY_MS),
  PII_MODE: z.preprocess(
    blankIsUnset,
    z.enum(['plain', 'hash'], { message: 'PII_MODE must be plain or hash.' }).default('plain'),
  ),
});

/** Accepts what the Tables SDK accepts: it parses the string here, at start-up, instead of at the first write. */
function isStorageConnection(text: string): boolean {
  if (/^https:\/\/[^/?#]+\/?$/i.test(text)) return true;
  try {
    TableClient.fromConnectionString(text, 'probe');
    return true;
  } catch {
    return false;
  }
}

/** Values that may hold a key or a SAS signature are never echoed back. */
const SECRET_SETTINGS = new Set(['STATE_STORAGE', 'APPLICATIONINSIGHTS_CONNECTION_STRING']);
function shown(name: string, value: string | undefined): string {
  if (SECRET_SETTINGS.has(name) && value) return '(value hidden: it may contain a key)';
  return JSON.stringify(value ?? '');
}

export interface Config {
  cloud: CloudName;
  graphEndpoint: string;
  /**
   * The national cloud's Graph, whose `/.default` scope tokens are asked for. Never the origin of a
   * GRAPH_ENDPOINT override: Entra issues tokens only for resources it knows, and Graph refuses any
   * other audience (401 "Invalid audience").
   */
  graphAudience: string;
  authorityHost: string;
  tenantId?: string;
  lookbackMs: number;
  overlapMs: number;
  stateStorage?: string;
  auditRequestsPer10s: number;
  /** Audit-log requests per 10 s across tenants, shared by every instance through STATE_STORAGE; unset: no shared budget. */
  fleetAuditRequestsPer10s?: number;
  graphMaxAttempts: number;
  extraSignatures: Signature[];
  piiMode: 'plain' | 'hash';
  actionMode: (typeof ACTION_MODES)[number];
  remediationMethod: 'runbook' | 'graph';
  ticketSystem?: (typeof TICKET_SYSTEMS)[number];
  allowRevertingHardening: boolean;
  remediationWaitMs: number;
  verifyForMs: number;
  tenantLeaseSeconds: number;
  /** The raw environment, for the ticket and Automation adapters, which validate their own settings. */
  env: NodeJS.ProcessEnv;
}

/** Reads every setting once. Throws one CONFIG.INVALID error that lists each bad setting, its value and the fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = settingsSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      problems.push(`${name}=${shown(name, env[name])}: ${issue.message}`);
    }
    throw configError(problems);
  }
  const settings = parsed.data;
  if (settings.SCAN_OVERLAP >= settings.SCAN_LOOKBACK) {
    problems.push(
      `SCAN_OVERLAP=${JSON.stringify(env.SCAN_OVERLAP ?? '10m')}: SCAN_OVERLAP must be shorter than SCAN_LOOKBACK (${JSON.stringify(env.SCAN_LOOKBACK ?? '24h')}).`,
    );
  }
  let extraSignatures: Signature[] = [];
  if (settings.SSPR_SIGNATURES) {
    const loaded = loadSignatureFile(settings.SSPR_SIGNATURES);
    if (typeof loaded === 'string')
      problems.push(`SSPR_SIGNATURES=${JSON.stringify(settings.SSPR_SIGNATURES)}: ${loaded}`);
    else extraSignatures = loaded;
  }
  if (settings.ACTION_MODE !== 'report') {
    if (!settings.STATE_STORAGE) {
      problems.push(
        `ACTION_MODE=${JSON.stringify(settings.ACTION_MODE)}: tickets and fixes must happen exactly once, which needs STATE_STORAGE. Set it, or use ACTION_MODE=report.`,
      );
    }
    if (!settings.TICKET_SYSTEM) {
      problems.push(
        `TICKET_SYSTEM="": ACTION_MODE=${settings.ACTION_MODE} files a ticket first. Set TICKET_SYSTEM to one of ${TICKET_SYSTEMS.join(', ')}.`,
      );
    }
  }
  if (settings.FLEET_AUDIT_REQUESTS_PER_10S !== undefined && !settings.STATE_STORAGE) {
    problems.push(
      `FLEET_AUDIT_REQUESTS_PER_10S=${JSON.stringify(env.FLEET_AUDIT_REQUESTS_PER_10S)}: the budget is shared through STATE_STORAGE. Set STATE_STORAGE, or unset FLEET_AUDIT_REQUESTS_PER_10S.`,
    );
  }
  if (problems.length > 0) throw configError(problems);

  const cloud = CLOUDS[settings.AZURE_CLOUD];
  return {
    cloud: settings.AZURE_CLOUD,
    graphEndpoint: settings.GRAPH_ENDPOINT ?? cloud.graph,
    graphAudience: cloud.graph,
    authorityHost: cloud.login,
    tenantId: settings.TENANT_ID,
    lookbackMs: settings.SCAN_LOOKBACK,
    overlapMs: settings.SCAN_OVERLAP,
    stateStorage: settings.STATE_STORAGE,
    auditRequestsPer10s: settings.AUDIT_REQUESTS_PER_10S,
    fleetAuditRequestsPer10s: settings.FLEET_AUDIT_REQUESTS_PER_10S,
    graphMaxAttempts: settings.GRAPH_MAX_ATTEMPTS,
    extraSignatures,
    piiMode: settings.PII_MODE,
    actionMode: settings.ACTION_MODE,
    remediationMethod: settings.REMEDIATION_METHOD,
    ticketSystem: settings.TICKET_SYSTEM,
    allowRevertingHardening: settings.ALLOW_REVERTING_HARDENING,
    remediationWaitMs: settings.REMEDIATION_WAIT,
    verifyForMs: settings.VERIFY_FOR,
    tenantLeaseSeconds: settings.TENANT_LEASE_SECONDS,
    env,
  };
}

function loadSignatureFile(path: string): Signature[] | string {
  if (!existsSync(path))
    return 'the file does not exist. Point SSPR_SIGNATURES at a JSON file of match rules, or unset it.';
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return `the file is not valid JSON (${(err as Error).message}). Fix the file or unset SSPR_SIGNATURES.`;
  }
  const rules = signatureFileSchema.safeParse(json);
  if (!rules.success) {
    const first = rules.error.issues[0];
    return `rule ${first.path.join('.')} is invalid: ${first.message}. See docs/ARCHITECTURE.md "Signatures" for the format.`;
  }
  return rules.data;
}

function configError(problems: string[]): AppError {
  return new AppError('CONFIG.INVALID', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
}

/** Validates a tenant id given on the command line or in a request, with the same rule as TENANT_ID. */
export function isTenantId(text: string): boolean {
  return GUID.test(text);
}
