/**
 * A small scanner for Bicep and TypeScript source, enough to check templates without a compiler:
 * it knows strings (with interpolation), comments and (TypeScript) regular-expression literals, so
 * brackets and keys are only counted where they are code.
 *
 * `mask` returns the text with the same length and line breaks, where everything inside strings,
 * comments and regex literals is blanked except letters, digits and '_' (string delimiters stay), so
 * structure can be found with plain searches on the masked text and read back from the original.
 */
export type Language = 'bicep' | 'ts';

export interface ScanResult {
  masked: string;
  problems: string[];
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
const CLOSE: Record<string, string> = { '}': '{', ']': '[', ')': '(' };

export function scan(text: string, language: Language): ScanResult {
  const out = text.split('');
  const problems: string[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;

  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (!/[\w\n]/.test(out[k])) out[k] = ' ';
  };
  const blankAll = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };

  /** Code from `start`; with `untilInterpolationEnd`, stops at the `}` closing a `${`. Returns the index after. */
  function code(start: number, untilInterpolationEnd: boolean): number {
    const stack: Array<{ char: string; at: number }> = [];
    let i = start;
    let lastSignificant = '';
    while (i < text.length) {
      const c = text[i];
      const next = text[i + 1];
      if (c === '/' && next === '/') {
        const end = text.indexOf('\n', i);
        const stop = end === -1 ? text.length : end;
        blankAll(i, stop);
        i = stop;
        continue;
      }
      if (c === '/' && next === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end === -1) {
          problems.push(`line ${lineOf(i)}: comment is not closed`);
          blankAll(i, text.length);
          return text.length;
        }
        blankAll(i, end + 2);
        i = end + 2;
        continue;
      }
      if (language === 'bicep' && text.startsWith("'''", i)) {
        const end = text.indexOf("'''", i + 3);
        if (end === -1) {
          problems.push(`line ${lineOf(i)}: multi-line string is not closed`);
          return text.length;
        }
        blank(i + 3, end);
        i = end + 3;
        lastSignificant = "'";
        continue;
      }
      if (c === "'" || (language === 'ts' && (c === '"' || c === '`'))) {
        i = stringLiteral(i, c);
        lastSignificant = c;
        continue;
      }
      if (
        language === 'ts' &&
        c === '/' &&
        (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))
      ) {
        i = regexLiteral(i);
        lastSignificant = '/';
        continue;
      }
      if (OPEN[c]) stack.push({ char: c, at: i });
      else if (CLOSE[c]) {
        if (c === '}' && untilInterpolationEnd && stack.length === 0) return i + 1;
        const top = stack.pop();
        if (!top) problems.push(`line ${lineOf(i)}: '${c}' closes nothing`);
        else if (top.char !== CLOSE[c])
          problems.push(`line ${lineOf(i)}: '${c}' closes '${top.char}' opened on line ${lineOf(top.at)}`);
      }
      if (!/\s/.test(c)) lastSignificant = c;
      i++;
    }
    if (untilInterpolationEnd) problems.push(`line ${lineOf(start)}: interpolation \${ is not closed`);
    for (const open of stack) problems.push(`line ${lineOf(open.at)}: '${open.char}' is never closed`);
    return text.length;
  }

  function stringLiteral(start: number, quote: string): number {
    const interpolates = language === 'bicep' || quote === '`';
    let i = start + 1;
    let segment = i;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === quote) {
        blank(segment, i);
        return i + 1;
      }
      if (c === '\n' && quote !== '`') {
        problems.push(`line ${lineOf(start)}: string is not closed on its line`);
        blank(segment, i);
        return i;
      }
      if (interpolates && c === '$' && text[i + 1] === '{') {
        blank(segment, i + 2);
        const after = code(i + 2, true);
        blankAll(i + 2, after); // interpolated code is part of the string's value
        i = after;
        segment = i;
        continue;
      }
      i++;
    }
    problems.push(`line ${lineOf(start)}: string is not closed`);
    blank(segment, text.length);
    return text.length;
  }

  function regexLiteral(start: number): number {
    let i = start + 1;
    let inClass = false;
    while (i < text.length && text[i] !== '\n') {
      const c = text[i];
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) {
        blankAll(start, i + 1);
        i++;
        while (/[a-z]/i.test(text[i] ?? '')) i++;
        return i;
      }
      i++;
    }
    // Not a regex after all (division at the end of a line): leave it as code.
    return start + 1;
  }

  code(0, false);
  return { masked: out.join(''), problems };
}

/** Index of the bracket closing the one at `open` (in masked text), or -1. */
export function matchingClose(masked: string, open: number): number {
  const stack: string[] = [];
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (OPEN[c]) stack.push(c);
    else if (CLOSE[c]) {
      if (stack.pop() !== CLOSE[c]) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

export interface Entry {
  key: string;
  /** Index of the key in the text. */
  at: number;
  /** The value's source text, trimmed, without a trailing comma. */
  value: string;
  valueStart: number;
}

/**
 * The entries of the object literal whose `{` is at `open`: keys at its own depth that start an entry
 * (after `{`, `,` or a line break), written as identifiers or quoted strings.
 */
export function objectEntries(text: string, masked: string, open: number): Entry[] {
  const close = matchingClose(masked, open);
  if (close === -1) throw new Error(`the object at index ${open} is not closed`);
  const starts: Array<{ key: string; at: number; valueStart: number }> = [];
  let depth = 0;
  let entryMayStart = true;
  for (let i = open + 1; i < close; i++) {
    const c = masked[i];
    if (depth === 0 && entryMayStart && /\S/.test(c)) {
      const match = /^(['"]?)([A-Za-z_$][\w$]*)\1\s*:/.exec(text.slice(i, close));
      if (match && !text.slice(i).startsWith('::')) {
        const key = match[2];
        // A quoted key is masked; read it from the text.
        starts.push({ key, at: i, valueStart: i + match[0].length });
        i += match[0].length - 1;
        entryMayStart = false;
        continue;
      }
      entryMayStart = false;
    }
    if (OPEN[c]) depth++;
    else if (CLOSE[c]) depth--;
    else if (depth === 0 && (c === ',' || c === '\n')) entryMayStart = true;
  }
  return starts.map((start, index) => {
    const end = index + 1 < starts.length ? starts[index + 1].at : close;
    const value = text.slice(start.valueStart, end).trim().replace(/,$/, '').trim();
    return { key: start.key, at: start.at, value, valueStart: start.valueStart };
  });
}

/** 1-based line of an index. */
export function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
