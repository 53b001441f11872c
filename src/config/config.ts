import { existsSync, readFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../core/duration';
import { ACTION_MODES, GUID, type ActionMode } from '../core/modes';
import type { SettingProblem } from '../errors';
import { loadAutomationSettings, type AutomationSettings } from './automation';
import { blankIsUnset, problemsOf, settingProblemsOf, settingsError } from './settingValues';
import { loadTelemetrySettings, type TelemetrySettings } from './telemetry';
import { TICKET_SYSTEMS, ticketSettingsOf, type TicketSettings } from './tickets';
import { CLOUDS, isMicrosoftSignInHost, type CloudName } from './clouds';
import { tenantListOf } from './tenantList';
import { FLEET_CREDENTIALS, fleetCredentialOf, type FleetCredentialConfig } from './fleetCredential';

export { CLOUDS, TICKET_SYSTEMS, type CloudName };
import { signatureFileSchema, type Signature } from '../core/signatures';

const DAY_MS = 86_400_000;

/** A duration setting (`30m`, `2h`, ISO 8601), in milliseconds, between `min` and `max`. */
export function duration(name: string, fallback: string, max: number, min = 1) {
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined || ms < min || ms > max) {
          const range =
            min !== 1
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

function guid(name: string, what: string) {
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(GUID, {
        message: `${name} must be ${what}, a GUID such as 00000000-0000-4000-8000-000000000001.`,
      })
      .transform((id) => id.toLowerCase())
      .optional(),
  );
}

function httpsUrl(name: string, example = 'https://graph.microsoft.com') {
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .optional()
      .refine((text) => text === undefined || isHttpsUrl(text), {
        message: `${name} must be an absolute https:// URL without a path, e.g. ${example} (tokens are only ever sent over https).`,
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
  // @azure/identity reads it too; here it is checked and applied to every credential we build.
  AZURE_AUTHORITY_HOST: httpsUrl('AZURE_AUTHORITY_HOST', 'https://login.microsoftonline.com'),
  // Issue 15: one multi-tenant app registration signs in to every scanned tenant.
  FLEET_CLIENT_ID: guid('FLEET_CLIENT_ID', "the multi-tenant app registration's application (client) id"),
  FLEET_CREDENTIAL: z.preprocess(
    blankIsUnset,
    z
      .enum(FLEET_CREDENTIALS, {
        message: `FLEET_CREDENTIAL must be one of ${FLEET_CREDENTIALS.join(', ')} (managed-identity, the default, needs no secret).`,
      })
      .optional(),
  ),
  FLEET_CLIENT_CERTIFICATE_PATH: z.preprocess(blankIsUnset, z.string().optional()),
  FLEET_CLIENT_SECRET: z.preprocess(blankIsUnset, z.string().optional()),
  FLEET_MANAGED_IDENTITY_CLIENT_ID: guid(
    'FLEET_MANAGED_IDENTITY_CLIENT_ID',
    "the user-assigned managed identity's client id",
  ),
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
  // Issue 15: the deployment's Key Vault, where tenants' webhook URLs are kept (routing names a secret in it).
  KEY_VAULT_URI: z.preprocess(
    blankIsUnset,
    z
      .string()
      .transform((text) => text.trim().replace(/\/*$/, '/'))
      .refine(isVaultUri, {
        message:
          "KEY_VAULT_URI must be the vault's https:// address without a path, e.g. https://kv-contoso.vault.azure.net/ (the app's Key Vault token is sent there).",
      })
      .optional(),
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

function isVaultUri(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      url.protocol === 'https:' &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password
    );
  } catch {
    return false;
  }
}

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
const SECRET_SETTINGS = new Set([
  'STATE_STORAGE',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'FLEET_CLIENT_SECRET',
]);
function shown(name: string, value: string | undefined): string {
  if (SECRET_SETTINGS.has(name) && value) return '(value hidden: it may contain a key or secret)';
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
  /** AZURE_AUTHORITY_HOST, else the cloud's sign-in host. */
  authorityHost: string;
  /** True when authorityHost is no Microsoft sign-in host: MSAL must not ask login.microsoftonline.com about it. */
  disableInstanceDiscovery: boolean;
  /** FLEET_CLIENT_ID and its credential; unset: each tenant's token comes from DefaultAzureCredential. */
  fleet?: FleetCredentialConfig;
  tenantId?: string;
  /** TENANTS (else TENANT_ID), lower case: the seed of the tenant registry; empty when neither is set. */
  tenants: string[];
  lookbackMs: number;
  overlapMs: number;
  stateStorage?: string;
  auditRequestsPer10s: number;
  /** Audit-log requests per 10 s across tenants, shared by every instance through STATE_STORAGE; unset: no shared budget. */
  fleetAuditRequestsPer10s?: number;
  graphMaxAttempts: number;
  extraSignatures: Signature[];
  piiMode: 'plain' | 'hash';
  actionMode: ActionMode;
  remediationMethod: 'runbook' | 'graph';
  ticketSystem?: (typeof TICKET_SYSTEMS)[number];
  allowRevertingHardening: boolean;
  remediationWaitMs: number;
  verifyForMs: number;
  tenantLeaseSeconds: number;
  /**
   * KEY_VAULT_URI and the cloud's Key Vault resource: where a tenant's routing finds its webhook URL
   * (issue 15). Absent, a routing that names a secret fails its ticket with TICKET.SECRET_UNAVAILABLE.
   */
  keyVault?: { vaultUri: string; audience: string };
  /** TICKET_SYSTEM's own settings; present whenever the mode files tickets. */
  tickets?: TicketSettings;
  /**
   * The runbook's settings: required when new fixes use the runbook, otherwise kept when they are all
   * valid (to follow a job started under another mode or method).
   */
  automation?: AutomationSettings;
  telemetry: TelemetrySettings;
}

/** What a caller may decide instead of the environment: the CLI's --mode. */
export interface ConfigOverrides {
  actionMode?: ActionMode;
}

/**
 * Reads every setting once, every section the mode needs included (the ticket system's, the runbook's,
 * telemetry's). Throws one CONFIG.INVALID that lists each bad setting, its value and the fix; the
 * problems travel with the error as data.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const { config, problems } = checkConfig(env, overrides);
  if (!config) throw settingsError(problems);
  return config;
}

/** Like loadConfig, but returns the problems instead of throwing (GET /api/health names them). */
export function checkConfig(
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides = {},
): { config?: Config; problems: SettingProblem[] } {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error.issues, env, shown);
    // The other sections still speak: one pass names every bad setting.
    return { problems: [...problems, ...section(() => loadTelemetrySettings(env)).problems] };
  }
  const settings = { ...parsed.data, ...(overrides.actionMode ? { ACTION_MODE: overrides.actionMode } : {}) };
  const problems: SettingProblem[] = [];
  const problem = (setting: string, message: string) => problems.push({ setting, message });
  if (settings.SCAN_OVERLAP >= settings.SCAN_LOOKBACK) {
    problem(
      'SCAN_OVERLAP',
      `SCAN_OVERLAP=${JSON.stringify(env.SCAN_OVERLAP ?? '10m')}: SCAN_OVERLAP must be shorter than SCAN_LOOKBACK (${JSON.stringify(env.SCAN_LOOKBACK ?? '24h')}).`,
    );
  }
  let extraSignatures: Signature[] = [];
  if (settings.SSPR_SIGNATURES) {
    const loaded = loadSignatureFile(settings.SSPR_SIGNATURES);
    if (typeof loaded === 'string')
      problem('SSPR_SIGNATURES', `SSPR_SIGNATURES=${JSON.stringify(settings.SSPR_SIGNATURES)}: ${loaded}`);
    else extraSignatures = loaded;
  }
  let tickets: TicketSettings | undefined;
  if (settings.ACTION_MODE !== 'report') {
    if (!settings.STATE_STORAGE) {
      problem(
        'ACTION_MODE',
        `ACTION_MODE=${JSON.stringify(settings.ACTION_MODE)}: tickets and fixes must happen exactly once, which needs STATE_STORAGE. Set it, or use ACTION_MODE=report.`,
      );
    }
    if (!settings.TICKET_SYSTEM) {
      problem(
        'TICKET_SYSTEM',
        `TICKET_SYSTEM="": ACTION_MODE=${settings.ACTION_MODE} files a ticket first. Set TICKET_SYSTEM to one of ${TICKET_SYSTEMS.join(', ')}.`,
      );
    } else {
      const checked = ticketSettingsOf(settings.TICKET_SYSTEM, env);
      tickets = checked.tickets;
      problems.push(...checked.problems);
    }
  }
  const seed = tenantListOf(env);
  // A bad TENANT_ID is already named by the schema above; TENANTS is read only here.
  if (seed.problem?.setting === 'TENANTS')
    problem('TENANTS', `TENANTS=${JSON.stringify(env.TENANTS)}: ${seed.problem.message}`);
  if (settings.FLEET_AUDIT_REQUESTS_PER_10S !== undefined && !settings.STATE_STORAGE) {
    problem(
      'FLEET_AUDIT_REQUESTS_PER_10S',
      `FLEET_AUDIT_REQUESTS_PER_10S=${JSON.stringify(env.FLEET_AUDIT_REQUESTS_PER_10S)}: the budget is shared through STATE_STORAGE. Set STATE_STORAGE, or unset FLEET_AUDIT_REQUESTS_PER_10S.`,
    );
  }
  const cloud = CLOUDS[settings.AZURE_CLOUD];
  const fleet = fleetCredentialOf(settings, cloud.tokenExchange);
  problems.push(...fleet.problems);
  const fixes = settings.ACTION_MODE === 'remediate' || settings.ACTION_MODE === 'approve';
  const automation = section(() => loadAutomationSettings(env, settings.AZURE_CLOUD));
  if (fixes && settings.REMEDIATION_METHOD === 'runbook') problems.push(...automation.problems);
  const telemetry = section(() => loadTelemetrySettings(env));
  problems.push(...telemetry.problems);
  if (problems.length > 0 || !telemetry.value) return { problems };

  const authorityHost = settings.AZURE_AUTHORITY_HOST ?? cloud.login;
  return {
    problems,
    config: {
      cloud: settings.AZURE_CLOUD,
      graphEndpoint: settings.GRAPH_ENDPOINT ?? cloud.graph,
      graphAudience: cloud.graph,
      authorityHost,
      disableInstanceDiscovery: !isMicrosoftSignInHost(authorityHost),
      fleet: fleet.fleet,
      tenantId: settings.TENANT_ID,
      tenants: seed.tenants,
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
      keyVault: settings.KEY_VAULT_URI
        ? { vaultUri: settings.KEY_VAULT_URI, audience: cloud.keyVault }
        : undefined,
      tickets,
      automation: automation.value,
      telemetry: telemetry.value,
    },
  };
}

/** A section loaded on its own, its problems kept as data. */
function section<T>(load: () => T): { value?: T; problems: readonly SettingProblem[] } {
  try {
    return { value: load(), problems: [] };
  } catch (err) {
    return { problems: settingProblemsOf(err) };
  }
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
