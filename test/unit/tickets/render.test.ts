import type { TicketContent } from '../../../src/usecases/ports/actions';
import { adfLine, renderAdf, type AdfDoc } from '../../../src/adapters/tickets/render/adf';
import { plainTextLine, renderPlainText } from '../../../src/adapters/tickets/render/plainText';
import { ticketDocument, type Block } from '../../../src/adapters/tickets/ticketDocument';
import { webhookPayload } from '../../../src/adapters/tickets/webhookSink';
import { admin, ticketContent } from '../../helpers/runInChild';

// User-controlled text as it could come from the directory and the audit log.
const HOSTILE_UPN = 'x@y.com</p><script>alert(1)</script>';
const HOSTILE_NOTE =
  '[code]<img src=x onerror=alert(1)>[/code] *bold* "quoted" \\"breaks\\" {json}\nResolved: forged line\u0007\u202eevil';

function hostileContent(overrides: Partial<TicketContent> = {}): TicketContent {
  return ticketContent('4f1c2d3e-0000-4000-8000-000000000001', {
    admins: [admin(HOSTILE_UPN), admin('line\nbreak@contoso.com', '33333333-3333-3333-3333-333333333333')],
    disabledBy: { by: '[CODE]<b>boss</b>[/Code]', at: '2026-01-09T10:00:00Z' },
    note: HOSTILE_NOTE,
    ...overrides,
  });
}

/** Every node of an ADF tree. */
function nodes(node: any): any[] {
  return [node, ...(Array.isArray(node.content) ? node.content.flatMap(nodes) : [])];
}

describe('plain-text renderer (ServiceNow)', () => {
  const text = renderPlainText(ticketDocument(hostileContent()).blocks);

  test('when user text holds HTML or [code] markup, then no tag and no [code] reaches ServiceNow', () => {
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/\[\s*\/?\s*code\s*\]/i);
    // Still readable for a person.
    expect(text).toContain('x@y.com\u2039/p\u203a\u2039script\u203a');
    expect(text).toContain('\uff3bcode\uff3d\u2039img src=x onerror=alert(1)\u203a\uff3b/code\uff3d');
  });

  test('when user text holds line breaks, control or bidi characters, then it cannot start a line of its own and the invisibles are gone', () => {
    expect(text.split('\n').some((line) => line.startsWith('Resolved: forged line'))).toBe(false);
    expect(text.split('\n').some((line) => line.trim().startsWith('break@contoso.com'))).toBe(false);
    expect(text).toContain('line break@contoso.com');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
  });

  test('when text holds Markdown or JSON syntax, then it stays literal (plain text has nothing to escape)', () => {
    expect(text).toContain('*bold* "quoted" \\"breaks\\" {json}');
  });

  test('when blocks are rendered, then headings are underlined, lists dashed, code indented and tables aligned', () => {
    const blocks: Block[] = [
      { kind: 'heading', text: 'Fix' },
      { kind: 'list', items: ['one', 'two'] },
      { kind: 'code', text: 'Connect-MgGraph\nUpdate-MgPolicyAuthorizationPolicy' },
      {
        kind: 'table',
        header: ['Name', 'Roles'],
        rows: [
          ['a@contoso.com', 'Global Administrator'],
          ['bob', '-'],
        ],
      },
    ];
    expect(renderPlainText(blocks)).toBe(
      [
        'Fix',
        '---',
        '',
        '- one',
        '- two',
        '',
        '    Connect-MgGraph',
        '    Update-MgPolicyAuthorizationPolicy',
        '',
        'Name           Roles',
        '-------------  --------------------',
        'a@contoso.com  Global Administrator',
        'bob            -',
      ].join('\n'),
    );
  });

  test('when a title holds a line break or markup, then it becomes one inert line', () => {
    expect(plainTextLine('a\r\nb <i>[code]')).toBe('a b \u2039i\u203a\uff3bcode\uff3d');
  });
});

describe('ADF renderer (Jira)', () => {
  const doc = renderAdf(ticketDocument(hostileContent()).blocks);
  const all = nodes(doc);

  test('when user text holds HTML, Markdown or JSON syntax, then it only ever lands verbatim in unmarked text nodes', () => {
    const textNodes = all.filter((node) => node.type === 'text');
    expect(
      textNodes.every((node) => node.marks === undefined && Object.keys(node).sort().join() === 'text,type'),
    ).toBe(true);
    expect(textNodes.map((node) => node.text)).toContain(HOSTILE_UPN);
    const note = textNodes.find((node) => node.text.startsWith('[code]'));
    expect(note.text).toBe(
      '[code]<img src=x onerror=alert(1)>[/code] *bold* "quoted" \\"breaks\\" {json} Resolved: forged line evil',
    );
    // JSON is the only escaping ADF needs: the document survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  test('when user text holds line breaks or invisible characters, then text outside code blocks is one line without them', () => {
    const inline = all.filter(
      (node) =>
        node.type === 'text' &&
        !all.some((parent) => parent.type === 'codeBlock' && parent.content?.includes(node)),
    );
    expect(inline.some((node) => /[\n\r\u0007\u202e]/.test(node.text))).toBe(false);
  });

  test('when blocks are rendered, then each maps to its ADF node and no text node is empty', () => {
    const blocks: Block[] = [
      { kind: 'heading', text: 'Fix' },
      { kind: 'paragraph', text: '' },
      { kind: 'list', items: ['one'] },
      { kind: 'code', text: 'Connect-MgGraph\nUpdate-MgPolicyAuthorizationPolicy' },
      { kind: 'table', header: ['Name'], rows: [['']] },
    ];
    const rendered: AdfDoc = renderAdf(blocks);
    expect(rendered).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: 'Fix' }] },
        { type: 'paragraph', content: [] },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }] },
          ],
        },
        {
          type: 'codeBlock',
          content: [{ type: 'text', text: 'Connect-MgGraph\nUpdate-MgPolicyAuthorizationPolicy' }],
        },
        {
          type: 'table',
          attrs: { isNumberColumnEnabled: false, layout: 'default' },
          content: [
            {
              type: 'tableRow',
              content: [
                {
                  type: 'tableHeader',
                  attrs: {},
                  content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Name' }] }],
                },
              ],
            },
            {
              type: 'tableRow',
              content: [{ type: 'tableCell', attrs: {}, content: [{ type: 'paragraph', content: [] }] }],
            },
          ],
        },
      ],
    });
    expect(adfLine(' a\n\tb ')).toBe('a b');
  });
});

describe('webhook payload', () => {
  test('when user text is hostile, then the JSON keeps the raw values as data and the text field is the inert plain text', () => {
    const payload = webhookPayload(hostileContent({ event: 'updated', newAdmins: [admin(HOSTILE_UPN)] }));
    const parsed = JSON.parse(JSON.stringify(payload));

    expect(parsed.admins[0].userPrincipalName).toBe(HOSTILE_UPN);
    expect(parsed.note).toBe(HOSTILE_NOTE);
    expect(parsed.newUserIds).toEqual(['11111111-1111-1111-1111-111111111111']);
    expect(parsed.text).not.toMatch(/[<>]/);
    expect(parsed.text).not.toMatch(/\[\s*\/?\s*code\s*\]/i);
    expect(parsed.admins[0]).toEqual({
      userId: '11111111-1111-1111-1111-111111111111',
      userPrincipalName: HOSTILE_UPN,
      roles: ['Global Administrator'],
      synced: true,
    });
  });
});
