import { z } from 'zod';
import { GUID } from '../core/modes';
import { secretsFromEnv } from '../core/secretNames';
import { settingsError } from './settingValues';

const SETTING = 'APPLICATIONINSIGHTS_CONNECTION_STRING';

/** `Key=Value;…` as Application Insights writes it; names are case-insensitive, later duplicates win. */
export function parseConnectionString(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return fields;
}

/** The connection string with the instrumentation key cut to its first 4 characters, safe for error messages. */
export function maskConnectionString(text: string): string {
  return text
    .split(';')
    .map((part) => {
      const at = part.indexOf('=');
      if (at <= 0) return part.length > 4 ? `${part.slice(0, 4)}…` : part;
      const name = part.slice(0, at);
      const value = part.slice(at + 1);
      if (name.trim().toLowerCase() === 'ingestionendpoint' || name.trim().toLowerCase() === 'liveendpoint')
        return part;
      return `${name}=${value.length > 4 ? `${value.slice(0, 4)}…` : value ? '…' : ''}`;
    })
    .join(';');
}

/** What is wrong with a connection string, in sentences that never repeat the key. */
export function connectionStringProblems(text: string): string[] {
  const fields = parseConnectionString(text);
  const problems: string[] = [];
  const key = fields.get('instrumentationkey');
  if (!key) {
    problems.push(
      `${SETTING} must contain InstrumentationKey=<GUID>; copy the connection string from the Application Insights resource's Overview page.`,
    );
  } else if (!GUID.test(key)) {
    problems.push(
      `${SETTING}: InstrumentationKey must be a GUID (it starts "${key.slice(0, 4)}…"); copy the connection string from the Application Insights resource's Overview page.`,
    );
  }
  const endpoint = fields.get('ingestionendpoint');
  if (!endpoint) {
    problems.push(
      `${SETTING} must contain IngestionEndpoint=https://…; the portal's connection string has it (an instrumentation key alone is no longer supported).`,
    );
  } else if (!isHttpsOrigin(endpoint)) {
    problems.push(
      `${SETTING}: IngestionEndpoint must be an https:// URL, such as https://westeurope-5.in.applicationinsights.azure.com/ (the exporter sends only over https).`,
    );
  }
  return problems;
}

function isHttpsOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && !url.username && !url.password && !url.search;
  } catch {
    return false;
  }
}

/**
 * APPLICATIONINSIGHTS_CONNECTION_STRING as a zod field: blank or unset is "no telemetry", anything else
 * must be a connection string with a GUID InstrumentationKey and an https IngestionEndpoint.
 * Issues never contain the value (zod does not copy the input into issues unless asked to).
 */
export const appInsightsConnectionStringSchema = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z
    .string()
    .trim()
    .superRefine((text, ctx) => {
      for (const message of connectionStringProblems(text)) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
);

export interface TelemetrySettings {
  /** Unset: telemetry is off (NoTelemetry). */
  connectionString?: string;
  piiMode: 'plain' | 'hash';
  /**
   * APPLICATIONINSIGHTS_AUTHENTICATION_STRING, the Functions host's convention (also set by our infra):
   * "Authorization=AAD[;ClientId=<guid>]" sends with an Entra token, from that user-assigned identity.
   */
  entra?: { clientId?: string };
  /** The values of every secret-named setting: a property whose value contains one is never sent. */
  knownSecrets: string[];
}

/** Reads the telemetry settings; a bad connection string is CONFIG.INVALID with its key masked. */
export function loadTelemetrySettings(env: NodeJS.ProcessEnv): TelemetrySettings {
  const parsed = appInsightsConnectionStringSchema.safeParse(env[SETTING]);
  if (!parsed.success) {
    const shown = maskConnectionString(String(env[SETTING]));
    const problems = parsed.error.issues.map((issue) => issue.message);
    throw settingsError([
      { setting: SETTING, message: `${SETTING}=${JSON.stringify(shown)}: ${problems.join(' ')}` },
    ]);
  }
  return {
    connectionString: parsed.data,
    piiMode: (env.PII_MODE ?? '').trim().toLowerCase() === 'hash' ? 'hash' : 'plain',
    ...entraOf(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? ''),
    knownSecrets: secretsFromEnv(env),
  };
}

function entraOf(text: string): { entra?: { clientId?: string } } {
  if (!/Authorization=AAD/i.test(text)) return {};
  const clientId = /ClientId=([0-9a-f-]{36})/i.exec(text)?.[1];
  return { entra: clientId ? { clientId } : {} };
}
