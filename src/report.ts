import { SSPR_009 } from './core/model';
import type { ScanResult } from './usecases/scanTenant';
import type { FleetRun } from './usecases/scanFleet';
import type { StoredIncident } from './usecases/ports/state';
import type { RegisteredTenant } from './usecases/ports/tenants';
import type { TenantCheck } from './usecases/tenantRegistry';

/** A readable summary for a person at a terminal. */
export function scanResultText(result: ScanResult): string {
  const lines = [
    `Tenant ${result.tenantId}`,
    `Window ${result.window.from} → ${result.window.to}${result.clippedToRetention ? ' (cut to the 30-day audit retention)' : ''}`,
    `${result.eventsRead} SSPR audit events read, ${result.findings.length} users with failures` +
      (result.unattributedFailures
        ? `, ${result.unattributedFailures} anonymous failures not attributable to a user`
        : ''),
    `${result.graphRequests.total} Graph requests, ${result.graphRequests.throttled} throttled`,
    '',
  ];
  if (result.findings.length === 0) lines.push('No new failed self-service password resets in this window.');
  else
    lines.push(
      findingsTable(result),
      '',
      'Why:',
      ...result.findings.map((f) => `  ${f.userPrincipalName ?? f.userId}: ${f.reason}`),
    );
  if (result.findings.some((f) => f.errorCode === CATALOG_SSPR_009)) {
    lines.push(
      '',
      `(${SSPR_009} is written ${CATALOG_SSPR_009} in --json errorCode, as in Microsoft's SSPR troubleshooting catalog.)`,
    );
  }
  for (const incident of result.incidents) {
    lines.push('', ...incidentText(incident));
  }
  if (result.unmatchedReasons.length > 0) {
    lines.push(
      '',
      'Failure texts no rule knows (read as failures without a code; add a rule with SSPR_SIGNATURES, and please report them):',
      ...result.unmatchedReasons.map(({ reason, count }) => `  ${count} × ${JSON.stringify(reason)}`),
    );
  }
  return lines.join('\n');
}

/**
 * Microsoft's SSPR troubleshooting catalog numbers its codes with four digits (SSPR_0009…SSPR_0030), and
 * findings keep that form in JSON. People meet this one as SSPR_009 (the reset page, Microsoft's article
 * on it, our incidents and tickets), so text output writes it that way only.
 */
const CATALOG_SSPR_009 = 'SSPR_0009';

function findingsTable(result: ScanResult): string {
  return table(
    ['USER', 'VERDICT', 'ROLES', 'SYNCED', 'CODE', 'EVENTS'],
    result.findings.map((f) => [
      f.userPrincipalName ?? f.userId,
      f.verdict,
      f.roles.join(', ') || '-',
      f.synced === null ? '?' : f.synced ? 'yes' : 'no',
      f.errorCode === CATALOG_SSPR_009 ? SSPR_009 : (f.errorCode ?? '-'),
      String(f.eventIds.length),
    ]),
  );
}

export function incidentText(incident: StoredIncident): string[] {
  const resolved = incident.state === 'resolved';
  const lines = [
    `Incident ${incident.id} (${incident.cause}, ${incident.state}): ${incident.userIds.length} administrator(s) ${resolved ? 'could not' : 'cannot'} reset their own password`,
    `  because SSPR for administrators (allowedToUseSSPR) ${resolved ? 'was off; it reads on now' : 'is off'}.`,
  ];
  if (incident.ticket)
    lines.push(`  Ticket: ${incident.ticket.system} ${incident.ticket.id} ${incident.ticket.url}`);
  if (incident.remediation) {
    const { method, jobName, status } = incident.remediation;
    lines.push(`  Fix: ${method}${jobName ? ` job ${jobName}` : ''}, ${status}`);
  }
  for (const step of incident.transitions.slice(1))
    lines.push(`  ${step.at} ${step.from ?? '-'} → ${step.to} (${step.actor}): ${step.reason}`);
  if (resolved) return lines;
  return [
    ...lines,
    '  To turn it on (Policy.ReadWrite.Authorization): Connect-MgGraph -Scopes Policy.ReadWrite.Authorization;',
    '    Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true   (takes up to 60 minutes to apply)',
    '  It is on by default: if someone turned it off on purpose (hardening baseline), talk to them first.',
  ];
}

export function incidentsTable(incidents: StoredIncident[]): string {
  if (incidents.length === 0) return 'No open incidents.';
  return table(
    ['INCIDENT', 'TENANT', 'CAUSE', 'STATE', 'ADMINS', 'TICKET', 'FIX', 'UPDATED'],
    incidents.map((i) => [
      i.id,
      i.tenantId,
      i.cause,
      i.state,
      String(i.userIds.length),
      i.ticket ? `${i.ticket.system} ${i.ticket.id}` : '-',
      i.remediation ? `${i.remediation.method} ${i.remediation.status}` : '-',
      i.updatedAt,
    ]),
  );
}

/** `scan --all` for a person: one line per tenant, then the fleet's figures. */
export function fleetRunText(run: FleetRun): string {
  if (run.tenants === 0) return 'No enabled tenants in the registry: add one with `tenants add <tenant id>`.';
  const rows = run.outcomes.map((outcome) => {
    if ('result' in outcome) {
      const { result } = outcome;
      const open = result.incidents.filter((incident) => incident.state !== 'resolved').length;
      return [outcome.tenantId, 'scanned', String(result.findings.length), String(open), '-'];
    }
    if ('error' in outcome)
      return [outcome.tenantId, 'failed', '-', '-', `${outcome.error.code}: ${outcome.error.message}`];
    return [outcome.tenantId, `skipped (${outcome.skipped})`, '-', '-', '-'];
  });
  return [
    table(['TENANT', 'OUTCOME', 'USERS WITH FAILURES', 'OPEN INCIDENTS', 'ERROR'], rows),
    '',
    `${run.tenants} tenants: ${run.scanned} scanned, ${run.failed} failed, in ${run.seconds} s; ` +
      `${run.graphRequests.total} Graph requests, ${run.graphRequests.throttled} throttled`,
  ].join('\n');
}

/** `tenants list`: one line a tenant, its last scan last. */
export function tenantsTable(tenants: RegisteredTenant[]): string {
  if (tenants.length === 0) return 'No tenants registered. Add one: sspr-remediator tenants add <tenant id>.';
  return table(
    ['TENANT', 'NAME', 'ENABLED', 'MODE CAP', 'LAST SCAN', 'CODE', 'AT'],
    tenants.map((tenant) => [
      tenant.tenantId,
      tenant.name ?? '-',
      tenant.enabled ? 'yes' : 'no',
      tenant.modeCap ?? '-',
      tenant.lastScan?.outcome ?? '-',
      tenant.lastScan?.code ?? '-',
      tenant.lastScan?.at ?? '-',
    ]),
  );
}

/** `tenants check`: each read and how it went, then what to do. */
export function tenantCheckText(check: TenantCheck): string {
  const lines = [`Tenant ${check.tenantId}`];
  if (!check.token.ok) {
    lines.push(`  token: FAILED ${check.token.code}: ${check.token.message}`);
  } else {
    lines.push('  token: ok');
    const width = Math.max(...check.reads.map((read) => read.read.length));
    for (const read of check.reads) {
      const outcome =
        read.outcome === 'ok'
          ? 'ok'
          : read.outcome === 'missing-permission'
            ? `MISSING ${read.permission}`
            : `ERROR ${read.code ?? ''}: ${read.message ?? ''}`;
      lines.push(`  ${read.read.padEnd(width)}  ${outcome}`);
    }
  }
  if (check.missingPermissions.length > 0)
    lines.push(
      `Missing application permissions: ${check.missingPermissions.join(', ')}. Grant them and have an administrator of the tenant consent.`,
    );
  if (check.adminConsentUrl) lines.push(`Admin consent: ${check.adminConsentUrl}`);
  lines.push(
    check.ok
      ? 'Every read a scan needs works.'
      : 'A scan of this tenant cannot read all it needs: fix the above.',
  );
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
