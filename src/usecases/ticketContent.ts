import type { StoredIncident } from './ports/state';
import type { AffectedAdmin, TicketContent, TicketEvent } from './ports/actions';

/** What the ticket says about this incident now, for one event. */
export function ticketContent(
  incident: StoredIncident,
  event: TicketEvent,
  extra: { newAdmins?: AffectedAdmin[]; allowedToUseSSPR?: boolean | null; note?: string | null } = {},
): TicketContent {
  return {
    incidentId: incident.id,
    tenantId: incident.tenantId,
    cause: incident.cause,
    event,
    admins: incident.admins,
    newAdmins: extra.newAdmins ?? [],
    policy: {
      allowedToUseSSPR:
        extra.allowedToUseSSPR === undefined ? (event === 'resolved' ? true : false) : extra.allowedToUseSSPR,
    },
    disabledBy: incident.disabledBy,
    remediation: incident.remediation
      ? {
          method: incident.remediation.method,
          jobName: incident.remediation.jobName,
          status: incident.remediation.status,
        }
      : null,
    note: extra.note ?? null,
  };
}
