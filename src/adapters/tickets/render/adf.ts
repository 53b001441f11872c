import type { Block } from '../ticketDocument';

/**
 * Renders ticket blocks as Atlassian Document Format (ADF), the JSON Jira Cloud REST v3 takes for
 * descriptions and comments. ADF is a tree, not markup: user text (UPNs, notes, audit text) only
 * ever lands in `text` nodes without marks, so `*bold*`, `[link](…)` or `<script>` stay literal;
 * JSON.stringify does the escaping. What is left to do is drop invisible characters and keep Jira's
 * rule that a text node is never empty (it answers 400 INVALID_INPUT otherwise).
 */

export interface AdfText {
  type: 'text';
  text: string;
  /** Never set on user text (see above); the Jira sink's update marker is the one marked text. */
  marks?: Array<{ type: string }>;
}

export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: Array<AdfNode | AdfText>;
}

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

// C0 and C1 controls (line feed handled apart), DEL, and every Unicode format character (\p{Cf}: bidi controls, zero-width).
const INVISIBLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}]/gu;

export function renderAdf(blocks: Block[]): AdfDoc {
  return { type: 'doc', version: 1, content: blocks.map(renderBlock) };
}

/** One line of text, e.g. for an issue summary (Jira rejects line breaks there). */
export function adfLine(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(INVISIBLE, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function renderBlock(block: Block): AdfNode {
  switch (block.kind) {
    case 'heading':
      return { type: 'heading', attrs: { level: 3 }, content: inline(block.text) };
    case 'paragraph':
      return paragraph(block.text);
    case 'list':
      return {
        type: 'bulletList',
        content: block.items.map((item) => ({ type: 'listItem', content: [paragraph(item)] })),
      };
    case 'code': {
      const code = block.text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(INVISIBLE, '');
      return { type: 'codeBlock', content: code === '' ? [] : [text(code)] };
    }
    case 'table':
      return {
        type: 'table',
        attrs: { isNumberColumnEnabled: false, layout: 'default' },
        content: [
          { type: 'tableRow', content: block.header.map((cell) => tableCell('tableHeader', cell)) },
          ...block.rows.map((row) => ({
            type: 'tableRow',
            content: row.map((cell) => tableCell('tableCell', cell)),
          })),
        ],
      };
  }
}

function paragraph(value: string): AdfNode {
  return { type: 'paragraph', content: inline(value) };
}

function tableCell(type: 'tableHeader' | 'tableCell', value: string): AdfNode {
  return { type, attrs: {}, content: [paragraph(value)] };
}

/** A single unmarked text node, or none for empty text (an empty text node is invalid ADF). */
function inline(value: string): AdfText[] {
  const line = adfLine(value);
  return line === '' ? [] : [text(line)];
}

function text(value: string): AdfText {
  return { type: 'text', text: value };
}
