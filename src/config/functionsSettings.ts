import { QueueServiceClient } from '@azure/storage-queue';
import { z } from 'zod';
import type { SettingProblem } from '../errors';
import { blankIsUnset, settingsError } from './settingValues';
import { duration } from './config';
import { tenantListOf } from './tenantList';

import { isTenantId } from '../core/modes';

export const DEFAULT_SCAN_SCHEDULE = '0 */15 * * * *';

/** How the app reaches the queue: a connection string, or a service URL used with the managed identity. */
export type QueueConnection =
  | { kind: 'connectionString'; value: string }
  | { kind: 'identity'; queueServiceUrl: string; clientId?: string };

export interface FunctionsSettings {
  /** The tenants the timer scans and the HTTP endpoints accept, lower case, at least one. */
  tenants: string[];
  schedule: string;
  /** How long after the timer fires the last tenant's scan starts: the scans of a cycle are spread over it. */
  spreadMs: number;
  queue: QueueConnection;
  /** The state storage (checkpoints, incidents, leases, ssprScans). Required by the Functions app. */
  stateStorage: string;
  /** Who may call the API with an Entra token (approvals need it); absent: approvals over HTTP are off. */
  api?: ApiAuthSettings;
}

/** The API's app registration: tokens must be v2, issued in `tenantId`, for one of `audiences`. */
export interface ApiAuthSettings {
  audiences: string[];
  tenantId: string;
  /** The sign-in host whose published keys sign the tokens; the cloud's unless API_AUTHORITY_HOST. */
  authorityHost?: string;
}

/** Six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`) or an `hh:mm:ss` interval. */
const SCHEDULE = /^(\S+\s+){5}\S+$|^\d{1,2}:\d{2}:\d{2}$/;

const schema = z.object({
  TENANTS: z.preprocess(blankIsUnset, z.string().optional()),
  TENANT_ID: z.preprocess(blankIsUnset, z.string().optional()),
  SCAN_SCHEDULE: z.preprocess(
    blankIsUnset,
    z
      .string({
        message: `SCAN_SCHEDULE is not set: the timer needs it. Use a six-field NCRONTAB such as "${DEFAULT_SCAN_SCHEDULE}" (every 15 minutes).`,
      })
      .trim()
      .regex(SCHEDULE, {
        message: `SCAN_SCHEDULE must be a six-field NCRONTAB ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. "${DEFAULT_SCAN_SCHEDULE}".`,
      }),
  ),
  // Queue messages can be hidden for up to 7 days; a spread longer than the cycle only delays scans.
  SCAN_SPREAD: duration('SCAN_SPREAD', '10m', 7 * 86_400_000, 0),
  STATE_STORAGE: z.preprocess(
    blankIsUnset,
    z.string({
      message:
        "STATE_STORAGE is not set: the Functions app keeps checkpoints, incidents, tenant leases and scan status there. Use the same value as AzureWebJobsStorage locally, or the table endpoint of the app's storage account.",
    }),
  ),
});

/** Secret-bearing settings are named, never echoed. */
const HIDDEN = new Set(['AzureWebJobsStorage', 'STATE_STORAGE']);
function shown(name: string, value: string | undefined): string {
  return HIDDEN.has(name) && value ? '(value hidden: it may contain a key)' : JSON.stringify(value ?? '');
}

/**
 * The settings only the Functions app reads (the rest are in src/config/config.ts). Returns the problems instead
 * of throwing, so GET /api/health can name the settings without their values.
 */
export function checkFunctionsSettings(env: NodeJS.ProcessEnv): {
  settings?: FunctionsSettings;
  problems: SettingProblem[];
} {
  const problems: SettingProblem[] = [];
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push({ setting: String(issue.path[0]), message: issue.message });
  }
  const tenants = tenantsOf(env, problems);
  const queue = queueConnectionOf(env, problems);
  const api = apiAuthOf(env, tenants, problems);
  // Each message names the setting and its value (hidden when it may hold a key), like the scan's.
  for (const problem of problems)
    problem.message = `${problem.setting}=${shown(problem.setting, env[problem.setting])}: ${problem.message}`;
  if (!parsed.success || problems.length > 0 || !queue) return { problems };
  return {
    settings: {
      tenants,
      schedule: parsed.data.SCAN_SCHEDULE,
      spreadMs: parsed.data.SCAN_SPREAD,
      queue,
      stateStorage: parsed.data.STATE_STORAGE,
      api,
    },
    problems,
  };
}

/** Throws one CONFIG.INVALID listing each bad setting, its (non-secret) value and the fix, as loadConfig does. */
export function loadFunctionsSettings(env: NodeJS.ProcessEnv = process.env): FunctionsSettings {
  const { settings, problems } = checkFunctionsSettings(env);
  if (settings) return settings;
  throw settingsError(problems);
}

/**
 * API_AUDIENCE: the client id of the API's app registration (v2 tokens carry it as `aud`), and its
 * Application ID URI if you like, comma-separated. API_TENANT_ID: where that registration lives
 * (defaults to the one tenant of TENANTS). API_AUTHORITY_HOST: only to point at another sign-in host.
 */
function apiAuthOf(
  env: NodeJS.ProcessEnv,
  tenants: string[],
  problems: SettingProblem[],
): ApiAuthSettings | undefined {
  const audienceText = blankIsUnset(env.API_AUDIENCE) as string | undefined;
  const tenantText = (blankIsUnset(env.API_TENANT_ID) as string | undefined)?.trim();
  const hostText = (blankIsUnset(env.API_AUTHORITY_HOST) as string | undefined)?.trim();
  if (audienceText === undefined) {
    if (tenantText !== undefined || hostText !== undefined) {
      problems.push({
        setting: 'API_AUDIENCE',
        message:
          'API_TENANT_ID or API_AUTHORITY_HOST is set but API_AUDIENCE is not: set it to the client id of the API app registration, or unset the others.',
      });
    }
    return undefined;
  }
  const audiences = audienceText
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (audiences.length === 0 || audiences.some((item) => !isTenantId(item) && !/^api:\/\/\S+$/i.test(item))) {
    problems.push({
      setting: 'API_AUDIENCE',
      message:
        'API_AUDIENCE must be the client id (a GUID) of the API app registration, optionally with its Application ID URI (api://…), comma-separated.',
    });
  }
  const tenantId = tenantText ?? (tenants.length === 1 ? tenants[0] : undefined);
  if (tenantId === undefined || !isTenantId(tenantId)) {
    problems.push({
      setting: 'API_TENANT_ID',
      message:
        'API_TENANT_ID must be the tenant id (GUID) where the API app registration lives; it is required when TENANTS names more than one tenant.',
    });
  }
  if (hostText !== undefined && !/^https:\/\/[^/?#\s]+\/?$/i.test(hostText)) {
    problems.push({
      setting: 'API_AUTHORITY_HOST',
      message:
        'API_AUTHORITY_HOST must be an https:// sign-in host without a path, e.g. https://login.microsoftonline.us.',
    });
  }
  return {
    audiences,
    tenantId: (tenantId ?? '').toLowerCase(),
    authorityHost: hostText?.replace(/\/+$/, ''),
  };
}

function tenantsOf(env: NodeJS.ProcessEnv, problems: SettingProblem[]): string[] {
  const { tenants, problem } = tenantListOf(env);
  if (problem) {
    problems.push(problem);
    return tenants;
  }
  if (tenants.length === 0) {
    problems.push({
      setting: 'TENANTS',
      message:
        'Name the tenants to scan: TENANTS=<tenant id>,<tenant id> (directory ids, GUIDs), or TENANT_ID for one.',
    });
  }
  return tenants;
}

/**
 * The Functions host reads `AzureWebJobsStorage` as a connection string, or, with a managed identity,
 * `AzureWebJobsStorage__queueServiceUri` / `AzureWebJobsStorage__accountName` (+ `__clientId`): the
 * same rules here, so the app sends where the queue trigger listens.
 */
function queueConnectionOf(env: NodeJS.ProcessEnv, problems: SettingProblem[]): QueueConnection | undefined {
  const connection = blankIsUnset(env.AzureWebJobsStorage) as string | undefined;
  const clientId = (blankIsUnset(env.AzureWebJobsStorage__clientId) as string | undefined)?.trim();
  if (connection !== undefined) {
    if (/^https:\/\//i.test(connection.trim())) {
      problems.push({
        setting: 'AzureWebJobsStorage',
        message:
          'The Functions host reads AzureWebJobsStorage as a connection string only. For a managed identity, unset it and set AzureWebJobsStorage__accountName (or AzureWebJobsStorage__queueServiceUri, plus __credential=managedidentity and __clientId).',
      });
      return undefined;
    }
    try {
      QueueServiceClient.fromConnectionString(connection);
      return { kind: 'connectionString', value: connection };
    } catch {
      problems.push({
        setting: 'AzureWebJobsStorage',
        message:
          'AzureWebJobsStorage must be a storage connection string (UseDevelopmentStorage=true locally, or one with AccountName and AccountKey or a SAS).',
      });
      return undefined;
    }
  }
  const serviceUri = (blankIsUnset(env.AzureWebJobsStorage__queueServiceUri) as string | undefined)?.trim();
  if (serviceUri !== undefined) {
    if (!/^https:\/\/[^/?#\s]+\/?$/i.test(serviceUri)) {
      problems.push({
        setting: 'AzureWebJobsStorage__queueServiceUri',
        message:
          'AzureWebJobsStorage__queueServiceUri must be the https:// queue endpoint of the account, e.g. https://<account>.queue.core.windows.net.',
      });
      return undefined;
    }
    return { kind: 'identity', queueServiceUrl: serviceUri.replace(/\/+$/, ''), clientId };
  }
  const account = (blankIsUnset(env.AzureWebJobsStorage__accountName) as string | undefined)?.trim();
  if (account !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      problems.push({
        setting: 'AzureWebJobsStorage__accountName',
        message:
          'AzureWebJobsStorage__accountName must be a storage account name (3-24 lower-case letters and digits). Outside Azure Public, set AzureWebJobsStorage__queueServiceUri instead.',
      });
      return undefined;
    }
    return { kind: 'identity', queueServiceUrl: `https://${account}.queue.core.windows.net`, clientId };
  }
  problems.push({
    setting: 'AzureWebJobsStorage',
    message:
      'The Functions host and the scan queue need storage: set AzureWebJobsStorage (UseDevelopmentStorage=true locally) or AzureWebJobsStorage__accountName for a managed identity.',
  });
  return undefined;
}
