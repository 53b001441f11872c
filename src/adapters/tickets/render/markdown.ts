import { withoutFormatCharacters } from '../../../core/hiddenCharacters';
import type { Block } from '../ticketDocument';

/**
 * Renders ticket blocks as GitHub-flavoured Markdown. User text (UPNs, notes, audit text) is made
 * inert: no markup, no raw HTML, no @mentions that would notify people, and no `<!--` that could
 * forge the hidden marker the GitHub sink uses as its dedupe key.
 */
export function renderMarkdown(blocks: Block[]): string {
  return blocks.map(renderBlock).join('\n\n');
}

// Characters that start Markdown syntax anywhere in a line: emphasis, links and images (no `[`, no
// link), code spans, table cells, strikethrough, math, headings. Dots and hyphens stay as they are
// (UPNs and timestamps stay readable and copyable); they only matter at the start of a line.
const BACKSLASHED = new Set(['\\', '`', '*', '_', '[', ']', '#', '|', '~', '$']);
// At the start of a line these begin a list, a thematic break or a setext heading underline.
const LINE_START = /^(?:[-+=]|\d{1,9}[.)])/;
// As entities rather than backslashes: the raw body then never holds `<`, so neither HTML nor
// `<!-- … -->` can come from user text, whatever a renderer does with backslashes.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ZWJ = '\u200D';

/** Escapes text for one line of Markdown (paragraph, list item, heading or table cell). */
export function escapeMarkdown(text: string): string {
  // One line: a line break inside a table cell would end the row, and inside a paragraph a
  // following line could begin a list, a heading or an indented code block.
  const line = withoutFormatCharacters(text)
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  let out = '';
  let i = 0;
  const start = LINE_START.exec(line);
  if (start) {
    // Only the marker character needs the backslash: `\-`, `1\.`.
    out = `${start[0].slice(0, -1)}\\${start[0].slice(-1)}`;
    i = start[0].length;
  }
  for (; i < line.length; i++) {
    const char = line[i];
    const previous = i > 0 ? line[i - 1] : '';
    if (char === '@' && !/[A-Za-z0-9]/.test(previous)) {
      // GitHub links and notifies `@user` / `@org/team` after the Markdown is rendered, so a
      // backslash does not help; a zero-width joiner after `@` breaks the mention and stays invisible.
      // An e-mail style UPN (`admin@contoso.com`) is no mention and stays untouched for copy and paste.
      out += '@' + ZWJ;
    } else if (char === '#' && /[0-9]/.test(line[i + 1] ?? '')) {
      // `#123` would link (and back-reference) an unrelated issue.
      out += '\\#' + ZWJ;
    } else if (ENTITIES[char]) {
      out += ENTITIES[char];
    } else if (BACKSLASHED.has(char)) {
      out += '\\' + char;
    } else {
      out += char;
    }
  }
  return out;
}

/** A fenced code block whose fence is longer than any run of backticks inside, so the code cannot close it. */
export function fencedCode(text: string): string {
  // Code is shown verbatim, so it cannot be escaped; a zero-width joiner inside `<!--` keeps even a
  // code line from ever reading as the sink's hidden marker (our code blocks never contain one).
  const code = withoutFormatCharacters(text).replace(/\r\n?/g, '\n').replace(/<!--/g, `<${ZWJ}!--`);
  const longestRun = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}\n${code}\n${fence}`;
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `### ${escapeMarkdown(block.text)}`;
    case 'paragraph':
      return escapeMarkdown(block.text);
    case 'list':
      return block.items.map((item) => `- ${escapeMarkdown(item)}`).join('\n');
    case 'code':
      return fencedCode(block.text);
    case 'table': {
      const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
      return [
        row(block.header),
        `| ${block.header.map(() => '---').join(' | ')} |`,
        ...block.rows.map(row),
      ].join('\n');
    }
  }
}
