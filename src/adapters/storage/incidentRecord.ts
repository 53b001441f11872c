import type { AffectedAdmin } from '../../usecases/ports/actions';
import { incidentId } from '../../core/incident';
import type { Incident } from '../../core/model';
import type { StoredIncident } from '../../usecases/ports/state';

/** A newly opened incident as every store keeps it: open, nothing done yet, one transition. */
export function freshIncident(
  tenantId: string,
  incident: Incident,
  admins: AffectedAdmin[],
  sequence: number,
  now: Date,
): StoredIncident {
  const at = now.toISOString();
  return {
    id: incidentId(tenantId, incident.cause, sequence),
    tenantId,
    cause: incident.cause,
    state: 'open',
    sequence,
    userIds: [...incident.userIds].sort(),
    admins: mergeAdmins([], admins),
    notifiedUserIds: [],
    ticket: null,
    remediation: null,
    approval: null,
    disabledBy: null,
    verifyingSince: null,
    transitions: [
      {
        from: null,
        to: 'open',
        at,
        actor: 'scan',
        reason: `${incident.userIds.length} administrator(s) confirmed blocked by SSPR_009`,
      },
    ],
    openedAt: at,
    updatedAt: at,
  };
}

const EVIDENCE_CAP = 5;
const ADMINS_CAP = 100;

/**
 * Union by user. Evidence lists are capped (5 ids each) and so is the number of admins kept with
 * details (100, all still counted in userIds), so the JSON stays below Tables' 64 KiB per property.
 */
export function mergeAdmins(known: AffectedAdmin[], added: AffectedAdmin[]): AffectedAdmin[] {
  const byId = new Map(known.map((admin) => [admin.userId, admin]));
  for (const admin of added) {
    const before = byId.get(admin.userId);
    if (!before) {
      byId.set(admin.userId, {
        ...admin,
        eventIds: admin.eventIds.slice(0, EVIDENCE_CAP),
        correlationIds: admin.correlationIds.slice(0, EVIDENCE_CAP),
      });
      continue;
    }
    const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].slice(0, EVIDENCE_CAP);
    byId.set(admin.userId, {
      ...before,
      userPrincipalName: before.userPrincipalName ?? admin.userPrincipalName,
      roles: [...new Set([...before.roles, ...admin.roles])],
      eventIds: union(before.eventIds, admin.eventIds),
      correlationIds: union(before.correlationIds, admin.correlationIds),
      lastFailureAt: [before.lastFailureAt, admin.lastFailureAt].filter(Boolean).sort().at(-1) ?? null,
    });
  }
  return [...byId.values()].sort((a, b) => a.userId.localeCompare(b.userId)).slice(0, ADMINS_CAP);
}
