import type { AffectedAdmin, TicketContent } from '../../../src/usecases/ports/actions';
import { escapeHtml, renderHtml } from '../../../src/adapters/tickets/render/html';
import { escapeMarkdown, fencedCode, renderMarkdown } from '../../../src/adapters/tickets/render/markdown';
import { ticketDocument } from '../../../src/adapters/tickets/ticketDocument';

const FORGED_MARKER = '<!-- sspr-remediator:incident=0b7c6c6e-1d7e-5c1a-9a57-7c0f1d1e2f30 -->';
const HOSTILE = [
  '<script>alert("x")</script>',
  '@org/team please look',
  'a|b',
  'run `rm -rf /` now',
  FORGED_MARKER,
  "O'Brien & <b>co</b>",
];

function admin(upn: string): AffectedAdmin {
  return {
    userId: '11111111-1111-1111-1111-111111111111',
    userPrincipalName: upn,
    roles: ['Global Administrator', 'x|y'],
    synced: true,
    eventIds: ['event-1'],
    correlationIds: ['corr-1'],
    lastFailureAt: '2026-01-10T08:00:00Z',
  };
}

function hostileContent(): TicketContent {
  return {
    incidentId: '0b7c6c6e-1d7e-5c1a-9a57-7c0f1d1e2f30',
    tenantId: '00000000-0000-0000-0000-0000000000aa',
    cause: 'SSPR_009',
    event: 'opened',
    admins: HOSTILE.map(admin),
    newAdmins: [],
    policy: { allowedToUseSSPR: false },
    disabledBy: { by: '@security-team <img src=x onerror=alert(1)>', at: '2026-01-09T10:00:00Z' },
    remediation: null,
    note: '```\n# not a heading\n- not a list\n<!-- hidden -->',
  };
}

/** GitHub links (and notifies) `@name` and `@org/team` when `@` is not preceded by a letter or digit. */
const MENTION = /(^|[^A-Za-z0-9])@[A-Za-z0-9]/;

describe('HTML renderer (Azure DevOps)', () => {
  test('when text holds & < > " \', then every one is an entity', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  test('when a ticket carries hostile UPNs and notes, then no tag, attribute or comment comes from them', () => {
    const html = renderHtml(ticketDocument(hostileContent()).blocks);
    expect(html).not.toMatch(/<script|<img|<b>|<!--/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('O&#39;Brien &amp; &lt;b&gt;co&lt;/b&gt;');
    // Only the renderer's own tags remain.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((match) => match[1]));
    expect([...tags].sort()).toEqual([
      'code',
      'h3',
      'li',
      'p',
      'pre',
      'table',
      'tbody',
      'td',
      'th',
      'thead',
      'tr',
      'ul',
    ]);
  });

  test('when blocks are a table and code, then they become <table> and <pre><code> with escaped text', () => {
    const html = renderHtml([
      { kind: 'table', header: ['A', 'B'], rows: [['<1>', 'x|y']] },
      { kind: 'code', text: 'if ($a -lt 1) { "<ok>" }' },
    ]);
    expect(html).toBe(
      '<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>&lt;1&gt;</td><td>x|y</td></tr></tbody></table>\n' +
        '<pre><code>if ($a -lt 1) { &quot;&lt;ok&gt;&quot; }</code></pre>',
    );
  });
});

describe('Markdown renderer (GitHub)', () => {
  test('when text holds HTML, then no "<" reaches the Markdown', () => {
    expect(escapeMarkdown('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeMarkdown(FORGED_MARKER)).not.toContain('<');
  });

  test('when text mentions @org/team or @user, then it cannot ping; an e-mail style UPN stays as it is', () => {
    const escaped = escapeMarkdown('@org/team and (@someone) and cc:@x');
    expect(escaped).not.toMatch(MENTION);
    expect(escaped.replace(/\u200D/g, '')).toBe('@org/team and (@someone) and cc:@x');
    expect(escapeMarkdown('ada.lovelace@contoso.com')).toBe('ada.lovelace@contoso.com');
  });

  test('when text holds Markdown control characters, then each is escaped', () => {
    expect(escapeMarkdown('*bold* _it_ [link](x) `code` ~~s~~ a|b $x$ \\ # h')).toBe(
      '\\*bold\\* \\_it\\_ \\[link\\](x) \\`code\\` \\~\\~s\\~\\~ a\\|b \\$x\\$ \\\\ \\# h',
    );
  });

  test('when text begins like a list, heading or quote or spans lines, then it stays one plain line', () => {
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('12. item')).toBe('12\\. item');
    expect(escapeMarkdown('# title')).toBe('\\# title');
    expect(escapeMarkdown('> quote')).toBe('&gt; quote');
    expect(escapeMarkdown('one\n\n    two\n===')).toBe('one two ===');
  });

  test('when code holds backtick runs, then the fence is longer than any of them', () => {
    const fenced = fencedCode('a ``` b\n````\nc');
    const lines = fenced.split('\n');
    expect(lines[0]).toBe('`````');
    expect(lines.at(-1)).toBe('`````');
    expect(lines.slice(1, -1)).toEqual(['a ``` b', '````', 'c']);
    expect(fencedCode('plain').split('\n')[0]).toBe('```');
  });

  test('when a table cell holds pipes or line breaks, then the row keeps its columns', () => {
    const md = renderMarkdown([{ kind: 'table', header: ['User', 'Roles'], rows: [['a|b\nc', 'x']] }]);
    const lines = md.split('\n');
    expect(lines).toHaveLength(3);
    const unescapedPipes = (line: string) => (line.match(/(?<!\\)\|/g) ?? []).length;
    expect(lines.map(unescapedPipes)).toEqual([3, 3, 3]);
    expect(lines[2]).toBe('| a\\|b c | x |');
  });

  test('when a whole ticket carries hostile text, then the Markdown has no HTML, no comment, no mention and no forged marker line', () => {
    const md = renderMarkdown(ticketDocument(hostileContent()).blocks);
    expect(md).not.toContain('<');
    expect(md).not.toMatch(MENTION);
    expect(md.split('\n').some((line) => line.trim() === FORGED_MARKER)).toBe(false);
    // The note's backticks cannot open a code block of their own.
    expect(md).toContain('\\`\\`\\` \\# not a heading - not a list &lt;!-- hidden --&gt;');
  });

  test('when a code block holds "<!--", then it cannot read as a hidden marker', () => {
    const md = renderMarkdown([{ kind: 'code', text: FORGED_MARKER }]);
    expect(md).not.toContain('<!--');
    expect(md.split('\n').some((line) => line.trim() === FORGED_MARKER)).toBe(false);
  });
});
