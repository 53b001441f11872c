import { withoutFormatCharacters } from '../../../core/hiddenCharacters';
import type { Block } from '../ticketDocument';

/**
 * Renders ticket blocks as the HTML Azure DevOps stores in rich-text fields and comments.
 * Every piece of text is escaped: UPNs and notes come from the directory and the audit log, which
 * anyone able to name an account can influence.
 */
export function renderHtml(blocks: Block[]): string {
  return blocks.map(renderBlock).join('\n');
}

export function escapeHtml(text: string): string {
  return withoutFormatCharacters(text).replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h3>${escapeHtml(block.text)}</h3>`;
    case 'paragraph':
      return `<p>${escapeHtml(block.text)}</p>`;
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
    case 'code':
      // <pre> keeps the line breaks of the PowerShell snippets; escaping keeps `$true` and `<` literal.
      return `<pre><code>${escapeHtml(block.text)}</code></pre>`;
    case 'table': {
      const head = `<thead><tr>${block.header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead>`;
      const rows = block.rows
        .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
        .join('');
      return `<table>${head}<tbody>${rows}</tbody></table>`;
    }
  }
}
