import type { AffectedAdmin, TicketContent } from '../../usecases/ports/actions';

/** A format-neutral ticket: every sink renders these blocks in its own markup, escaping all text. */
export type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'code'; text: string }
  | { kind: 'table'; header: string[]; rows: string[][] };

export interface TicketDocument {
  title: string;
  blocks: Block[];
}

const FIX_GRAPH = [
  'Connect-MgGraph -Scopes Policy.ReadWrite.Authorization',
  'Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true',
].join('\n');
const FIX_LEGACY =
  'Set-MsolCompanySettings -SelfServePasswordResetEnabled $true   # MSOnline was retired in 2025: no longer works';
const UNDO = [
  'Connect-MgGraph -Scopes Policy.ReadWrite.Authorization',
  'Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$false',
].join('\n');

export function ticketTitle(content: TicketContent): string {
  return `SSPR_009: ${content.admins.length} administrator(s) cannot reset their password (tenant ${content.tenantId})`;
}

/** The ticket body for the first filing, or the comment for a later event. */
export function ticketDocument(content: TicketContent): TicketDocument {
  const title = ticketTitle(content);
  switch (content.event) {
    case 'opened':
      return { title, blocks: openedBlocks(content) };
    case 'updated':
      return {
        title,
        blocks: [
          {
            kind: 'paragraph',
            text: `${content.newAdmins.length} more administrator(s) failed self-service password reset:`,
          },
          adminTable(content.newAdmins),
          ...noteBlocks(content),
        ],
      };
    case 'resolved':
      return {
        title,
        blocks: [
          {
            kind: 'paragraph',
            text: 'Resolved: SSPR for administrators (allowedToUseSSPR) now reads true. Administrators can reset their own password again.',
          },
          ...remediationBlocks(content),
          ...noteBlocks(content),
          { kind: 'heading', text: 'Undo' },
          { kind: 'code', text: UNDO },
        ],
      };
    case 'failed':
      return {
        title,
        blocks: [
          {
            kind: 'paragraph',
            text: 'The fix did not take: SSPR for administrators is still not on. Manual action is needed.',
          },
          ...remediationBlocks(content),
          ...noteBlocks(content),
          { kind: 'heading', text: 'Fix by hand' },
          { kind: 'code', text: FIX_GRAPH },
        ],
      };
  }
}

function openedBlocks(content: TicketContent): Block[] {
  const switchedOff = content.disabledBy
    ? `Admin SSPR was switched off by ${content.disabledBy.by ?? 'an unknown principal'} at ${content.disabledBy.at} (audit: "Update authorization policy"). If that was a deliberate hardening change, agree with them before turning it back on.`
    : 'The audit log (retention window) does not show who switched admin SSPR off; it is on by default.';
  return [
    {
      kind: 'paragraph',
      text: `Administrators in tenant ${content.tenantId} cannot reset their own password (error SSPR_009) because self-service password reset for administrators is off.`,
    },
    { kind: 'heading', text: 'Affected administrators' },
    adminTable(content.admins),
    { kind: 'heading', text: 'Evidence' },
    {
      kind: 'list',
      items: [
        `allowedToUseSSPR on the authorization policy: ${content.policy.allowedToUseSSPR === null ? 'unknown' : String(content.policy.allowedToUseSSPR)}`,
        switchedOff,
        ...content.admins.map(
          (admin) =>
            `${admin.userPrincipalName ?? admin.userId}: audit events ${admin.eventIds.join(', ')}; correlation ids ${admin.correlationIds.join(', ') || 'none'}`,
        ),
      ],
    },
    ...remediationBlocks(content),
    ...noteBlocks(content),
    { kind: 'heading', text: 'Fix (Microsoft Graph PowerShell)' },
    { kind: 'code', text: FIX_GRAPH },
    { kind: 'paragraph', text: 'The documented legacy command, for the record:' },
    { kind: 'code', text: FIX_LEGACY },
    { kind: 'paragraph', text: 'The change takes up to 60 minutes to apply.' },
    { kind: 'heading', text: 'Undo' },
    { kind: 'code', text: UNDO },
    { kind: 'paragraph', text: `sspr-remediator incident ${content.incidentId}` },
  ];
}

function adminTable(admins: AffectedAdmin[]): Block {
  return {
    kind: 'table',
    header: ['Administrator', 'Roles', 'Synced from on-premises', 'Last failure'],
    rows: admins.map((admin) => [
      admin.userPrincipalName ?? admin.userId,
      admin.roles.join(', ') || '-',
      admin.synced === null ? 'unknown' : admin.synced ? 'yes' : 'no',
      admin.lastFailureAt ?? '-',
    ]),
  };
}

function remediationBlocks(content: TicketContent): Block[] {
  if (!content.remediation) return [];
  const { method, jobName, status } = content.remediation;
  const job = jobName ? `, Automation job ${jobName}` : '';
  return [{ kind: 'paragraph', text: `Remediation: ${method}${job}, status ${status}.` }];
}

function noteBlocks(content: TicketContent): Block[] {
  return content.note ? [{ kind: 'paragraph', text: content.note }] : [];
}
