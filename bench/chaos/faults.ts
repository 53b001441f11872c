import type { Scenario } from '../../emulator';
import type { Prng } from '../lib/prng';

export type ScenarioFault = NonNullable<Scenario['faults']>[number];

/** Where a fault is aimed: a regex on the request path and query (raw or decoded) and whether it is a $batch item. */
const TARGETS: { label: string; match: string; inBatch: boolean }[] = [
  {
    label: 'audit first page',
    match: '^/v1\\.0/auditLogs/directoryAudits\\?\\$filter=loggedByService(?!.*skiptoken)',
    inBatch: false,
  },
  { label: 'audit next page', match: '^/v1\\.0/auditLogs/directoryAudits\\?.*skiptoken', inBatch: false },
  {
    label: 'policy history read',
    match: '^/v1\\.0/auditLogs/directoryAudits\\?\\$filter=activityDisplayName',
    inBatch: false,
  },
  { label: 'policy read', match: '^/v1\\.0/policies/authorizationPolicy', inBatch: false },
  { label: '$batch', match: '^/v1\\.0/\\$batch', inBatch: false },
  { label: 'batch item user', match: '^/v1\\.0/users/[^/?]+\\?', inBatch: true },
  { label: 'batch item roleAssignments', match: 'roleManagement/directory/roleAssignments', inBatch: true },
  { label: 'batch item transitiveMemberOf', match: 'transitiveMemberOf', inBatch: true },
];

/** Aimed at one user's lookups, so one admin can stay unknown while another is confirmed and acted on. */
function userTargets(userId: string): { label: string; match: string; inBatch: boolean }[] {
  const short = userId.slice(0, 8);
  return [
    { label: `batch item user ${short}`, match: `^/v1\\.0/users/${userId}\\?`, inBatch: true },
    { label: `batch item roleAssignments of ${short}`, match: `principalId eq '${userId}'`, inBatch: true },
  ];
}

/**
 * One random fault and a short label for the report. `userIds` and `adminIds` are the tenant's users and
 * admins, for faults aimed at one of them (mostly an admin: losing an admin is the failure that matters).
 */
export function randomFault(
  rng: Prng,
  userIds: string[] = [],
  adminIds: string[] = [],
): { fault: ScenarioFault; label: string } {
  const aimed = userIds.length > 0 && rng.chance(0.3);
  const pool = adminIds.length > 0 && rng.chance(0.7) ? adminIds : userIds;
  const target = aimed ? rng.pick(userTargets(rng.pick(pool))) : rng.pick(TARGETS);
  // Mostly a few times (retried within one scan); sometimes GRAPH_MAX_ATTEMPTS (6) or more, so a scan gives up on it.
  const times = rng.chance(aimed ? 0.5 : 0.12) ? rng.int(6, 8) : rng.int(1, 3);
  const base = { match: target.match, inBatch: target.inBatch, times };
  const roll = rng.next();
  let fault: ScenarioFault;
  let kind: string;
  if (roll < 0.2) {
    fault = { ...base, kind: 'status', status: 429, retryAfter: rng.int(0, 2) };
    kind = `429 Retry-After ${fault.retryAfter}`;
  } else if (roll < 0.3) {
    fault = { ...base, kind: 'status', status: 429 };
    kind = '429 no Retry-After';
  } else if (roll < 0.5) {
    const status = rng.pick([500, 503, 503, 502, 504]);
    fault = { ...base, kind: 'status', status, ...(rng.chance(0.3) ? { retryAfter: 1 } : {}) };
    kind = `${status}${fault.retryAfter !== undefined ? ' Retry-After 1' : ''}`;
  } else if (roll < 0.68) {
    fault = { ...base, kind: 'reset' };
    kind = 'reset';
  } else if (roll < 0.84) {
    fault = { ...base, kind: 'slow', delayMs: rng.int(200, 4000), times: Math.min(times, 3) };
    kind = `slow ${fault.delayMs} ms`;
  } else {
    fault = { ...base, kind: 'malformed' };
    kind = 'malformed';
  }
  return { fault, label: `${target.label}: ${kind} x${fault.times}` };
}
