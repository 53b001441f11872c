import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { keysIn, varObject, type BicepFile } from './bicep';
import { lineAt, matchingClose, objectEntries, scan } from './source';

/** Where a setting applies: 'always', or only when TICKET_SYSTEM is this system (its name). */
export type SettingScope = string;

export interface SettingRead {
  name: string;
  scope: SettingScope;
  /** The app refuses to start (or the chosen path fails) without it. */
  required: boolean;
  /** file:line where it was found. */
  source: string;
}

export interface SettingSet {
  name: string;
  scope: SettingScope;
  /** Set only in some deployments (a `?:` branch). */
  conditional: boolean;
}

/** What the app reads that is a setting name: UPPER_SNAKE_CASE, or the Functions host's AzureWebJobs… names. */
export const SETTING_NAME = /^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}|AzureWebJobs\w*)$/;

/** The ticket sink files and the TICKET_SYSTEM each belongs to. */
/** Each ticket system's settings share a prefix (src/config/tickets.ts holds all five schemas). */
export const SINK_PREFIXES: Record<string, string> = {
  SERVICENOW_: 'servicenow',
  JIRA_: 'jira',
  AZURE_DEVOPS_: 'azuredevops',
  GITHUB_: 'github',
  TICKET_WEBHOOK_: 'webhook',
};

export function scopeOf(file: string, name: string): SettingScope {
  if (path.basename(file) !== 'tickets.ts') return 'always';
  const prefix = Object.keys(SINK_PREFIXES).find((p) => name.startsWith(p));
  return prefix ? SINK_PREFIXES[prefix] : 'always';
}

/**
 * The settings a source file reads, from its text:
 * - the keys of every `z.object({ … })` that look like setting names (config.ts keeps its schema private);
 * - `env.NAME`, `env['NAME']`, `process.env.NAME`, and `env[CONST]` with `const CONST = 'NAME'`;
 * - `'%NAME%'` binding expressions of Functions triggers (required: the host fails without them).
 */
export function settingsReadIn(file: string, text: string, root: string): SettingRead[] {
  const { masked } = scan(text, 'ts');
  const relative = path.relative(root, file);
  const found: SettingRead[] = [];
  const add = (name: string, index: number, required = false) => {
    if (SETTING_NAME.test(name))
      found.push({
        name,
        scope: scopeOf(file, name),
        required,
        source: `${relative}:${lineAt(text, index)}`,
      });
  };

  for (const match of masked.matchAll(/\bz\s*\.\s*object\s*\(\s*\{/g)) {
    const open = match.index! + match[0].length - 1;
    if (matchingClose(masked, open) === -1) continue;
    for (const entry of objectEntries(text, masked, open)) add(entry.key, entry.at);
  }
  for (const match of text.matchAll(/\benv\??\.([A-Za-z_]\w*)|\benv\[\s*['"]([A-Za-z_]\w*)['"]\s*\]/g)) {
    add(match[1] ?? match[2], match.index!);
  }
  const constants = new Map(
    [...text.matchAll(/\bconst\s+(\w+)\s*=\s*['"]([A-Za-z_]\w*)['"]/g)].map((m) => [m[1], m[2]]),
  );
  for (const match of text.matchAll(/\benv\[\s*([A-Za-z_]\w*)\s*\]/g)) {
    const name = constants.get(match[1]);
    if (name) add(name, match.index!);
  }
  for (const match of text.matchAll(/['"`]%([A-Za-z_]\w*)%['"`]/g)) add(match[1], match.index!, true);
  return found;
}

/** Every .ts file under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Settings that must be present, from exported zod object schemas: a key whose schema rejects
 * `undefined` has no default and is not optional.
 */
export function requiredByExportedSchemas(moduleExports: Record<string, unknown>): Set<string> {
  const required = new Set<string>();
  for (const value of Object.values(moduleExports)) {
    if (!(value instanceof z.ZodObject)) continue;
    for (const [key, field] of Object.entries(value.shape as Record<string, z.ZodType>)) {
      if (SETTING_NAME.test(key) && !field.safeParse(undefined).success) required.add(key);
    }
  }
  return required;
}

/** Merges reads of the same name and scope: required if any read is, sources listed. */
export function mergeReads(reads: SettingRead[], required: Set<string> = new Set()): SettingRead[] {
  const merged = new Map<string, SettingRead>();
  for (const read of reads) {
    const key = `${read.scope}|${read.name}`;
    const seen = merged.get(key);
    const isRequired = read.required || required.has(read.name);
    if (!seen) merged.set(key, { ...read, required: isRequired });
    else
      merged.set(key, {
        ...seen,
        required: seen.required || isRequired,
        source: seen.source.includes(read.source) ? seen.source : `${seen.source}, ${read.source}`,
      });
  }
  return [...merged.values()];
}

/**
 * The settings appsettings.bicep sets: `hostSettings` and `appSettings` always; each entry of
 * `ticketSettingsBySystem` only for its system. Keys inside a `?:` branch are conditional.
 */
export function settingsSetByBicep(bicep: BicepFile): SettingSet[] {
  const set: SettingSet[] = [];
  for (const name of ['hostSettings', 'appSettings']) {
    for (const key of varObject(bicep, name).entries.keys())
      set.push({ name: key, scope: 'always', conditional: false });
  }
  for (const [system, value] of varObject(bicep, 'ticketSettingsBySystem').entries) {
    for (const { key, conditional } of keysIn(value)) set.push({ name: key, scope: system, conditional });
  }
  return set;
}

/** The backticked names in the first column of the markdown table under `heading`. */
export function documentedNames(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(heading);
  if (start === -1) throw new Error(`no section "${heading}"`);
  const rest = markdown.slice(start + heading.length);
  const end = rest.search(/^#{1,6} /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\|\s*`([^`]+)`/gm)].map((m) => m[1]);
}

export interface SettingsCheckInput {
  reads: SettingRead[];
  set: SettingSet[];
  /** Settings docs/DEPLOY.md lists as not set by the deployment (defaults apply). */
  documentedOptional: string[];
  /** Settings Bicep sets for the Functions host or platform, not read by src/. */
  platform: string[];
}

/**
 * Every problem between what the app reads and what the deployment sets or documents; empty when they agree.
 * - a setting the app reads is set by Bicep (for its scope), or documented as optional;
 * - a required one is set unconditionally (documenting it is not enough);
 * - Bicep sets nothing the app (or the host) does not read: a typo would otherwise pass silently;
 * - the documented list names only settings the app reads and Bicep does not always set.
 */
export function checkSettings(input: SettingsCheckInput): string[] {
  const problems: string[] = [];
  const setFor = (scope: SettingScope, name: string) =>
    input.set.filter((s) => s.name === name && (s.scope === 'always' || s.scope === scope));
  const documented = new Set(input.documentedOptional);

  for (const read of input.reads) {
    const sets = setFor(read.scope, read.name);
    const where = read.scope === 'always' ? '' : ` (TICKET_SYSTEM=${read.scope})`;
    const always = sets.some((s) => !s.conditional);
    if (always) continue;
    if (read.required) {
      problems.push(
        `${read.name}${where} is required by ${read.source} but infra/app/appsettings.bicep does not set it${sets.length > 0 ? ' in every case' : ''}.`,
      );
    } else if (sets.length === 0 && !documented.has(read.name)) {
      problems.push(
        `${read.name}${where} is read by ${read.source} but neither set by infra/app/appsettings.bicep nor listed in docs/DEPLOY.md "Settings the deployment does not set".`,
      );
    }
  }

  const readNames = new Set(input.reads.map((r) => r.name));
  const platform = new Set(input.platform);
  for (const s of input.set) {
    if (!readNames.has(s.name) && !platform.has(s.name)) {
      problems.push(
        `${s.name} is set by infra/app/appsettings.bicep${s.scope === 'always' ? '' : ` (${s.scope})`} but nothing in src/ reads it: a typo, or a setting that is gone.`,
      );
    } else if (s.scope !== 'always') {
      const readForScope = input.reads.some(
        (r) => r.name === s.name && (r.scope === s.scope || r.scope === 'always'),
      );
      if (!readForScope)
        problems.push(`${s.name} is set for TICKET_SYSTEM=${s.scope}, but that system does not read it.`);
    }
  }

  for (const name of input.documentedOptional) {
    if (!readNames.has(name))
      problems.push(`docs/DEPLOY.md lists ${name} as optional, but nothing in src/ reads it.`);
    else if (input.set.some((s) => s.name === name && s.scope === 'always' && !s.conditional)) {
      problems.push(
        `docs/DEPLOY.md lists ${name} as not set by the deployment, but infra/app/appsettings.bicep always sets it.`,
      );
    }
  }
  return problems;
}
