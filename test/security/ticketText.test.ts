import { approvalSchema, validate } from '../../src/functions/http/httpInput';
import { renderAdf } from '../../src/adapters/tickets/render/adf';
import { renderHtml } from '../../src/adapters/tickets/render/html';
import { renderMarkdown } from '../../src/adapters/tickets/render/markdown';
import { renderPlainText } from '../../src/adapters/tickets/render/plainText';
import type { Block } from '../../src/adapters/tickets/ticketDocument';
import { runCli } from '../helpers/cli';

/**
 * Issue 11, finding 6: text a user controls (a UPN, a display name, an approver's name) may carry
 * bidirectional overrides and other invisible format characters that reorder or hide what a reader of
 * the ticket sees. None reaches a ticket in any of the four formats, and an approver name with one is refused.
 */
const RLO = '\u202E';
const HIDDEN = ['\u202E', '\u202D', '\u2066', '\u2069', '\u200B', '\u200E', '\uFEFF', '\u00AD', '\u2060'];
const hostile = `admin${HIDDEN.join('')}@contoso.com ${RLO}moc.elbanepo@`;
const blocks: Block[] = [
  { kind: 'heading', text: hostile },
  { kind: 'paragraph', text: hostile },
  { kind: 'list', items: [hostile] },
  { kind: 'code', text: hostile },
  { kind: 'table', header: ['UPN'], rows: [[hostile]] },
];
// The Markdown renderer adds U+200D (zero-width joiner) itself to break @mentions; nothing else may be there.
const FORMAT_EXCEPT_ZWJ = /(?!\u200D)\p{Cf}/u;

describe('ticket text', () => {
  test.each([
    ['Markdown (GitHub)', () => renderMarkdown(blocks)],
    ['HTML (Azure DevOps)', () => renderHtml(blocks)],
    ['ADF (Jira)', () => JSON.stringify(renderAdf(blocks))],
    ['plain text (ServiceNow)', () => renderPlainText(blocks)],
  ])(
    'when user text carries bidi and zero-width characters, then the %s rendering holds none',
    (_format, render) => {
      const rendered = render();
      // JSON.stringify keeps these characters as they are, so one search serves every format.
      expect(rendered).not.toMatch(FORMAT_EXCEPT_ZWJ);
      expect(rendered).toContain('contoso.com');
    },
  );

  test('when an approval over HTTP names an approver at all, then it is refused: the token names the approver', () => {
    expect(() => validate(approvalSchema, { by: `Alice${RLO}eciA` })).toThrow(/not accepted over HTTP/);
    expect(() => validate(approvalSchema, { by: 'Alice Approver' })).toThrow(/not accepted over HTTP/);
    expect(validate(approvalSchema, { overrideHardening: true })).toEqual({ overrideHardening: true });
  });

  test('when an approver name on the command line carries U+202E, then it is a usage error before anything is read', async () => {
    const run = await runCli(['approve', '00000000-0000-4000-8000-000000000001', '--by', `Alice${RLO}eciA`], {
      PATH: process.env.PATH,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invisible formatting characters');
  });
});
