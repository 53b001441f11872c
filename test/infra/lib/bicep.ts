import fs from 'node:fs';
import path from 'node:path';
import { lineAt, objectEntries, scan } from './source';

/** What can be read from a .bicep file without the compiler. */
export interface BicepFile {
  file: string;
  text: string;
  masked: string;
  /** Unbalanced brackets, unclosed strings and comments. */
  syntaxProblems: string[];
}

export function readBicep(file: string): BicepFile {
  const text = fs.readFileSync(file, 'utf8');
  const { masked, problems } = scan(text, 'bicep');
  return { file, text, masked, syntaxProblems: problems };
}

export interface ModuleReference {
  symbol: string;
  source: string;
  line: number;
}

export function moduleReferences(bicep: BicepFile): ModuleReference[] {
  return [...bicep.text.matchAll(/^[ \t]*module\s+(\w+)\s+'([^']+)'/gm)].map((m) => ({
    symbol: m[1],
    source: m[2],
    line: lineAt(bicep.text, m.index!),
  }));
}

/** `loadTextContent('…')`, `loadJsonContent('…')` and friends: the files Bicep reads at build time. */
export function loadedFiles(bicep: BicepFile): Array<{ fn: string; path: string; line: number }> {
  return [...bicep.text.matchAll(/\b(load(?:Text|Json|Yaml)Content|loadFileAsBase64)\(\s*'([^']+)'/g)].map(
    (m) => ({
      fn: m[1],
      path: m[2],
      line: lineAt(bicep.text, m.index!),
    }),
  );
}

export interface BicepParam {
  name: string;
  type: string;
  /** Has a default value or a nullable type: may be left out. */
  optional: boolean;
}

export function params(bicep: BicepFile): BicepParam[] {
  return [...bicep.text.matchAll(/^[ \t]*param\s+(\w+)\s+([^\s=]+)[ \t]*(=)?/gm)].map((m) => ({
    name: m[1],
    type: m[2].replace(/\?$/, ''),
    optional: m[3] === '=' || m[2].endsWith('?'),
  }));
}

export function outputs(bicep: BicepFile): string[] {
  return [...bicep.text.matchAll(/^[ \t]*output\s+(\w+)\s/gm)].map((m) => m[1]);
}

/** Index of the `{` that starts `var <name> = {`, or -1. */
function varObjectStart(bicep: BicepFile, name: string): number {
  const match = new RegExp(`^[ \\t]*var\\s+${name}\\s*=\\s*\\{`, 'm').exec(bicep.masked);
  return match ? match.index + match[0].length - 1 : -1;
}

export type BicepValue =
  { kind: 'object'; entries: Map<string, BicepValue> } | { kind: 'expression'; text: string };

function valueAt(text: string, masked: string, start: number, source: string): BicepValue {
  if (masked[start] === '{') {
    const entries = new Map<string, BicepValue>();
    for (const entry of objectEntries(text, masked, start)) {
      entries.set(
        entry.key,
        valueAt(
          text,
          masked,
          entry.valueStart +
            (text.slice(entry.valueStart).length - text.slice(entry.valueStart).trimStart().length),
          entry.value,
        ),
      );
    }
    return { kind: 'object', entries };
  }
  return { kind: 'expression', text: source };
}

/** The object literal assigned to `var <name>`, parsed one level deep per nested object literal. */
export function varObject(bicep: BicepFile, name: string): BicepValue & { kind: 'object' } {
  const start = varObjectStart(bicep, name);
  if (start === -1) throw new Error(`${path.basename(bicep.file)} has no "var ${name} = { … }"`);
  return valueAt(bicep.text, bicep.masked, start, '') as BicepValue & { kind: 'object' };
}

export interface KeyInExpression {
  key: string;
  /** Inside a branch of a `?:` (set only sometimes). */
  conditional: boolean;
}

/**
 * Keys of every object literal inside a value (an object, or an expression such as
 * `union({ A: x }, cond ? { B: y } : {})`). Literals that follow `?` or `:` are conditional.
 */
export function keysIn(value: BicepValue): KeyInExpression[] {
  if (value.kind === 'object') return [...value.entries.keys()].map((key) => ({ key, conditional: false }));
  const { text } = value;
  const { masked } = scan(text, 'bicep');
  const keys: KeyInExpression[] = [];
  for (let i = 0; i < masked.length; i++) {
    if (masked[i] !== '{') continue;
    const before = masked.slice(0, i).trimEnd();
    const conditional = before.endsWith('?') || (before.endsWith(':') && /\?/.test(before));
    for (const entry of objectEntries(text, masked, i)) keys.push({ key: entry.key, conditional });
  }
  return keys;
}

/** A string literal without interpolation ('…'), or undefined. */
export function stringLiteral(value: BicepValue | undefined): string | undefined {
  if (!value || value.kind !== 'expression') return undefined;
  const match = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(value.text);
  return match ? match[1].replace(/\\(.)/g, '$1') : undefined;
}

/** The values of `@allowed([ … ])` on `param <name>`. */
export function allowedValues(bicep: BicepFile, name: string): string[] {
  const match = new RegExp(`@allowed\\(\\[([^\\]]*)\\]\\)\\s*(?:@[^\\n]*\\n\\s*)*param\\s+${name}\\b`).exec(
    bicep.text,
  );
  if (!match) throw new Error(`param ${name} has no @allowed list`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** The default of `param <name> <type> = <default>` as written. */
export function paramDefault(bicep: BicepFile, name: string): string | undefined {
  const match = new RegExp(`^[ \\t]*param\\s+${name}\\s+\\S+\\s*=\\s*(.+)$`, 'm').exec(bicep.text);
  return match?.[1].trim();
}
