import { v5 as uuidv5 } from 'uuid';
import { SSPR_009, type Finding, type Incident } from './model';

/** Our own UUID namespace, so incident ids are deterministic and never contain a timestamp. */
const INCIDENT_NAMESPACE = '0d4f3c8e-6a0b-5d7e-9a51-5b2c2f1e7a10';

/**
 * The id of a tenant's n-th SSPR_009 incident. Deterministic: two scans racing to open the same
 * incident compute the same id, and a retry after a crash finds what the first attempt wrote.
 */
export function incidentId(tenantId: string, cause: string, sequence: number): string {
  return uuidv5(`${tenantId.toLowerCase()}/${cause}/${sequence}`, INCIDENT_NAMESPACE);
}

/** One incident per tenant and cause, holding every confirmed admin; none when nothing is confirmed. */
export function planIncident(tenantId: string, findings: Finding[], sequence = 1): Incident | undefined {
  const userIds = findings
    .filter((finding) => finding.verdict === 'confirmed')
    .map((finding) => finding.userId);
  if (userIds.length === 0) return undefined;
  return {
    id: incidentId(tenantId, SSPR_009, sequence),
    cause: SSPR_009,
    userIds: [...new Set(userIds)].sort(),
  };
}
