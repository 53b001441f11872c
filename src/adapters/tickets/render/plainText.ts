import type { Block } from '../ticketDocument';

/**
 * Renders ticket blocks as plain text for ServiceNow's `description` and `work_notes`.
 * ServiceNow shows these fields as text, with one exception: a journal entry wrapped in
 * `[code]…[/code]` is rendered as raw HTML. UPNs, notes and audit text are user-controlled, so that
 * markup is broken up, angle brackets become look-alikes that no HTML parser reads as a tag, and
 * control or bidi characters (which could hide or reorder text) are dropped.
 */
export function renderPlainText(blocks: Block[]): string {
  return blocks.map(renderBlock).join('\n\n');
}

// C0 and C1 controls, DEL, and every Unicode format character (\p{Cf}), the bidi controls of "Trojan Source" fame among them.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}]/gu;
// `[code]`, `[/code]`, also with inner spaces or other case: ServiceNow's journal markup for raw HTML.
const CODE_TAG = /\[(\s*\/?\s*code\s*)\]/gi;

/** Text safe for a ServiceNow text field, line breaks kept (code blocks). */
export function neutralisePlainText(text: string): string {
  return (
    text
      .replace(/\r\n?|[\u2028\u2029]/g, '\n')
      .replace(/\t/g, '    ')
      .replace(INVISIBLE, '')
      // Full-width brackets read the same to a person but are not the markup ServiceNow looks for.
      .replace(CODE_TAG, '\uff3b$1\uff3d')
      // Single guillemets instead of < and >: a tag can then never form, whatever renders the text.
      .replace(/</g, '\u2039')
      .replace(/>/g, '\u203a')
  );
}

/**
 * One line of text: line breaks in a UPN or note would otherwise let user text forge a heading,
 * a table row or a "Resolved" line of its own.
 */
export function plainTextLine(text: string): string {
  return neutralisePlainText(text).replace(/\s+/g, ' ').trim();
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading': {
      const text = plainTextLine(block.text);
      return `${text}\n${'-'.repeat(Math.max(3, width(text)))}`;
    }
    case 'paragraph':
      return plainTextLine(block.text);
    case 'list':
      return block.items.map((item) => `- ${plainTextLine(item)}`).join('\n');
    case 'code':
      // Indented, as in e-mail and Markdown, so it stands apart and copies cleanly line by line.
      return neutralisePlainText(block.text)
        .split('\n')
        .map((line) => `    ${line}`.trimEnd())
        .join('\n');
    case 'table':
      return renderTable(block.header, block.rows);
  }
}

function renderTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows].map((row) => row.map(plainTextLine));
  const columns = Math.max(...cells.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(0, ...cells.map((row) => width(row[column] ?? ''))),
  );
  const line = (row: string[]) =>
    widths
      .map((columnWidth, column) => pad(row[column] ?? '', columnWidth))
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells;
  return [
    line(head),
    widths.map((columnWidth) => '-'.repeat(columnWidth)).join('  '),
    ...body.map(line),
  ].join('\n');
}

/** Length in code points, so an emoji or an accented UPN does not misalign a column. */
function width(text: string): number {
  return Array.from(text).length;
}

function pad(text: string, columnWidth: number): string {
  return text + ' '.repeat(columnWidth - width(text));
}
