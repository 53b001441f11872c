/**
 * What a Markdown document claims about the repository, read without a Markdown library: its links,
 * headings (as GitHub anchors), code spans, `npm run` scripts, setting names, error codes, repository
 * paths and documented setting defaults. Pure functions over the text; test/infra/docs.test.ts holds
 * them to the files, package.json and the code.
 */

export interface Found<T = string> {
  value: T;
  /** 1-based line in the document. */
  line: number;
}

/** Character offsets of fenced code blocks (``` or ~~~), each from its opening fence to the end of its closing one. */
function fencedRanges(markdown: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const fence = /^ {0,3}(`{3,}|~{3,})[^\n]*$/gm;
  let open: { at: number; marker: string } | undefined;
  for (const match of markdown.matchAll(fence)) {
    const marker = match[1];
    if (!open) open = { at: match.index!, marker };
    else if (
      marker[0] === open.marker[0] &&
      marker.length >= open.marker.length &&
      match[0].trim() === marker
    ) {
      ranges.push([open.at, match.index! + match[0].length]);
      open = undefined;
    }
  }
  if (open) ranges.push([open.at, markdown.length]);
  return ranges;
}

/** The text with fenced code blocks blanked (same length and line breaks, so offsets and lines still hold). */
export function withoutFences(markdown: string): string {
  let out = markdown;
  for (const [from, to] of fencedRanges(markdown)) {
    out = out.slice(0, from) + out.slice(from, to).replace(/[^\n]/g, ' ') + out.slice(to);
  }
  return out;
}

/** The contents of fenced code blocks, with their first line. */
export function fencedBlocks(markdown: string): Array<Found> {
  return fencedRanges(markdown).map(([from, to]) => ({
    value: markdown.slice(from, to),
    line: lineAt(markdown, from),
  }));
}

export function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Inline code spans outside fenced blocks (single or double backticks, on one line). */
export function codeSpans(markdown: string): Array<Found> {
  const text = withoutFences(markdown);
  return [...text.matchAll(/(`{1,2})(?!`)([^\n]*?[^`\n])\1(?!`)/g)].map((m) => ({
    value: m[2].trim(),
    line: lineAt(text, m.index!),
  }));
}

/** The text outside fenced blocks and code spans: where links and prose live. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/(`{1,2})(?!`)[^\n]*?[^`\n]\1(?!`)/g, (span) =>
    ' '.repeat(span.length),
  );
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, spaces as '-'. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/[`*]/g, '') // code and emphasis markers
    .replace(/<[^>]+>/g, ''); // inline HTML
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor the document's ATX headings get on GitHub; a repeated heading gets -1, -2, … */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const slug = githubSlug(match[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline links and images `[text](target)` and reference definitions `[label]: target`, outside code. */
export function linkTargets(markdown: string): Array<Found> {
  const text = prose(markdown);
  const inline = [...text.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)];
  const reference = [...text.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...reference]
    .map((m) => ({ value: m[1], line: lineAt(text, m.index!) }))
    .sort((a, b) => a.line - b.line);
}

/** Links to somewhere else on the web (or mail); everything else is a path in the repository. */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * Checks each relative link of `doc` (a path relative to the repository root): the file exists and, for
 * a `#anchor`, the target Markdown file (or `doc` itself) has that heading.
 */
export function linkProblems(
  doc: string,
  markdown: string,
  repo: { exists(relative: string): boolean; read(relative: string): string },
): string[] {
  const problems: string[] = [];
  const dir = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/')) : '';
  for (const { value: target, line } of linkTargets(markdown)) {
    if (isExternal(target)) continue;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const file =
      pathPart === ''
        ? doc
        : normalise(
            pathPart.startsWith('/') ? pathPart.slice(1) : join(dir, decodeURI(pathPart.split('?')[0])),
          );
    if (file === undefined || !repo.exists(file)) {
      problems.push(
        `${doc}:${line}: the link "${target}" points at ${file ?? pathPart}, which is not in the repository.`,
      );
      continue;
    }
    if (
      anchor !== undefined &&
      /\.md$/i.test(file) &&
      !headingAnchors(repo.read(file)).has(decodeURIComponent(anchor).toLowerCase())
    ) {
      problems.push(
        `${doc}:${line}: the link "${target}" names the anchor #${anchor}, but ${file} has no such heading.`,
      );
    }
  }
  return problems;
}

function join(dir: string, relative: string): string {
  return dir === '' ? relative : `${dir}/${relative}`;
}

/** Resolves `.` and `..`; undefined when the path climbs out of the repository. */
export function normalise(relative: string): string | undefined {
  const parts: string[] = [];
  for (const part of relative.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** The scripts named by `npm run <name>` anywhere in the document (prose, code spans and code blocks). */
export function npmScripts(markdown: string): Array<Found> {
  return [...markdown.matchAll(/\bnpm run(?:-script)? +([A-Za-z0-9:_.-]+)/g)].map((m) => ({
    value: m[1],
    line: lineAt(markdown, m.index!),
  }));
}

/**
 * Names in code spans that look like app settings: UPPER_SNAKE_CASE with at least one '_', the
 * Functions host's `AzureWebJobs…` names, and the one-word names in `alsoNames` (`TENANTS`; any other
 * upper-case word is too often `GET` or `JSON`). Not a part of an error code (`AUTH.WRONG_TENANT`) or
 * a dotted name. A trailing `*` (`AzureWebJobsStorage__*`) makes the name a prefix, kept with the `*`.
 */
export function settingNames(markdown: string, alsoNames: ReadonlySet<string> = new Set()): Array<Found> {
  const found: Array<Found> = [];
  for (const span of codeSpans(markdown)) {
    // `%NAME%`, a Functions binding expression, names a setting too.
    for (const m of span.value.matchAll(
      /(?<![\w.$%-])%?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*|AzureWebJobs\w*)(?![\w.])(\*?)/g,
    )) {
      if (m[1].includes('_') || m[1].startsWith('AzureWebJobs') || alsoNames.has(m[1]))
        found.push({ value: `${m[1]}${m[2]}`, line: span.line });
    }
  }
  return found;
}

/** Error codes in code spans: `AREA.CODE`, upper case; a `<PLACEHOLDER>` stands for any upper-case word. */
export function errorCodes(markdown: string): Array<Found> {
  const found: Array<Found> = [];
  for (const span of codeSpans(markdown)) {
    for (const m of span.value.matchAll(/(?<![\w.])([A-Z]{2,}\.(?:[A-Z0-9_]|<[A-Z]+>)+)(?![\w.(])/g))
      found.push({ value: m[1], line: span.line });
  }
  return found;
}

/**
 * Repository paths in code spans and code blocks, relative to the repository root (where commands run):
 * tokens that start with `./` or `../`, or whose first segment is one of `topLevel` (the repository's
 * top-level folders) followed by a '/'. Globs (`*`) and placeholders (`<…>`, `{…}`, `…`) are kept; the
 * caller decides how to match them.
 */
export function repoPaths(markdown: string, topLevel: readonly string[]): Array<Found> {
  const roots = topLevel.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const token = new RegExp(
    `(?<![\\w./@:~$-])((?:\\.\\.?/)+[^\\s\`'"()\\[\\],;]*|(?:${roots})/[^\\s\`'"()\\[\\],;]*)`,
    'g',
  );
  const found: Array<Found> = [];
  const add = (text: string, line: number) => {
    for (const m of text.matchAll(token)) {
      const value = m[1].replace(/[.:]+$/, '');
      found.push({ value, line: line + lineAt(text, m.index!) - 1 });
    }
  };
  for (const span of codeSpans(markdown)) add(span.value, span.line);
  for (const block of fencedBlocks(markdown)) add(block.value, block.line);
  return found;
}

export interface DocumentedDefault {
  name: string;
  /** The literal default the document gives (the code span that opens the cell, or after "default"). */
  value: string;
  line: number;
  /** `azd`: a default of an azd environment value (infra/main.parameters.json); `app`: of an app setting. */
  kind: 'app' | 'azd';
}

/**
 * Literal defaults the document gives a setting:
 * - in a table with a "default" column whose first cell is one setting name in a code span, when the
 *   default cell starts with a code span (`—`, "unset" or prose claim no literal default). A table whose
 *   first column is headed "azd environment value" documents azd environment values;
 * - inline: "`NAME` (default `value`)" or "`%NAME%` (default `value`)".
 */
export function documentedDefaults(markdown: string): DocumentedDefault[] {
  const text = withoutFences(markdown);
  const lines = text.split('\n');
  const found: DocumentedDefault[] = [];
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\s*\|/.test(lines[i]) || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) continue;
    const header = cells(lines[i]).map((cell) => cell.toLowerCase());
    const column = header.indexOf('default');
    const kind = header[0] === 'azd environment value' ? 'azd' : 'app';
    for (let j = i + 2; j < lines.length && /^\s*\|/.test(lines[j]); j++) {
      const row = cells(lines[j]);
      const name = /^`([A-Za-z_]\w*)`$/.exec(row[0] ?? '')?.[1];
      const value = /^`([^`]+)`/.exec(row[column] ?? '')?.[1];
      if (column > 0 && name && value !== undefined) found.push({ name, value, line: j + 1, kind });
    }
  }
  for (const m of text.matchAll(/`%?([A-Za-z_]\w*)%?`\s*\(default `([^`]+)`/g)) {
    found.push({ name: m[1], value: m[2], line: lineAt(text, m.index!), kind: 'app' });
  }
  return found;
}

/**
 * The paths a layout tree names (a code block, one entry a line). An entry is a line whose first word
 * is a path (has a '/') or a file name (has an extension); an entry indented under a `dir/` entry is inside it
 * (`src/` then `  scan/` is `src/scan/`), and a first word with a '/' before its end (`test/unit`) is a
 * path from the root. Any other line continues the description above it.
 */
export function layoutPaths(block: string): Array<Found> {
  const found: Array<Found> = [];
  const stack: Array<{ indent: number; path: string }> = [];
  block.split('\n').forEach((text, index) => {
    const m = /^( *)(\S+)/.exec(text);
    if (!m || /^(`{3,}|~{3,})/.test(m[2])) return;
    const [, spaces, word] = m;
    if (!/^[\w.-]+(?:\/[\w.-]+)*\/?$/.test(word) || !(word.includes('/') || /\.\w+$/.test(word))) return;
    while (stack.length > 0 && stack[stack.length - 1].indent >= spaces.length) stack.pop();
    const fromRoot = word.slice(0, -1).includes('/');
    const path = fromRoot || stack.length === 0 ? word : `${stack[stack.length - 1].path}${word}`;
    found.push({ value: path, line: index + 1 });
    if (word.endsWith('/')) stack.push({ indent: spaces.length, path });
  });
  return found;
}
