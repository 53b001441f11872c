import { ANONYMOUS_USER_ID, type Directory } from './directory';
import { stableId } from './stableIds';

/** The wire shape of a Microsoft Graph v1.0 directoryAudit. */
export interface DirectoryAudit {
  id: string;
  category: string;
  correlationId: string;
  result: string;
  resultReason: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  operationType: string;
  initiatedBy: { user: AuditUser | null; app: AuditApp | null };
  targetResources: TargetResource[];
  additionalDetails: { key: string; value: string }[];
}

interface AuditUser {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  ipAddress: string | null;
}

export interface AuditApp {
  appId: string;
  displayName: string;
  servicePrincipalId: string;
  servicePrincipalName: string | null;
}

export interface TargetResource {
  id: string;
  displayName: string | null;
  type: string;
  userPrincipalName: string | null;
  groupType: null;
  modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[];
}

export type Initiator =
  { kind: 'user'; id: string } | { kind: 'anonymous' } | { kind: 'none' } | { kind: 'app'; app: AuditApp };

export interface AuditRecordInput {
  id: string;
  timeMs: number;
  category: string;
  activity: string;
  service: string;
  result: string;
  resultReason: string;
  initiator: Initiator;
  targetUserId: string | null;
  /** Defaults to one derived from the id: each event its own flow. */
  correlationId?: string;
}

/** Graph writes seven fractional digits; clients that parse with millisecond precision must cope. */
export function graphDateTime(timeMs: number): string {
  return new Date(timeMs).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function documentationIp(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `203.0.113.${(hash % 254) + 1}`;
}

export function buildAuditRecord(input: AuditRecordInput, directory: Directory): DirectoryAudit {
  return {
    id: input.id,
    category: input.category,
    correlationId: input.correlationId ?? stableId(input.id, 'correlation'),
    result: input.result,
    resultReason: input.resultReason,
    activityDisplayName: input.activity,
    activityDateTime: graphDateTime(input.timeMs),
    loggedByService: input.service,
    operationType: 'Update',
    initiatedBy: initiatedBy(input, directory),
    targetResources: input.targetUserId ? [userTarget(input.targetUserId, directory)] : [],
    additionalDetails: [],
  };
}

function initiatedBy(input: AuditRecordInput, directory: Directory): DirectoryAudit['initiatedBy'] {
  const initiator = input.initiator;
  switch (initiator.kind) {
    case 'none':
      return { user: null, app: null };
    case 'app':
      return { user: null, app: initiator.app };
    case 'anonymous':
      return {
        user: {
          id: ANONYMOUS_USER_ID,
          displayName: null,
          userPrincipalName: null,
          ipAddress: documentationIp(input.id),
        },
        app: null,
      };
    case 'user': {
      const known = directory.upnForAudit(initiator.id);
      return {
        user: { id: initiator.id, ...known, ipAddress: documentationIp(initiator.id) },
        app: null,
      };
    }
  }
}

function userTarget(userId: string, directory: Directory): TargetResource {
  const known = directory.upnForAudit(userId);
  return { id: userId, type: 'User', ...known, groupType: null, modifiedProperties: [] };
}

export function policyChangeTarget(tenantId: string, newValue: boolean): TargetResource {
  return {
    id: stableId(tenantId, 'authorizationPolicy'),
    displayName: 'Authorization Policy',
    type: 'Policy',
    userPrincipalName: null,
    groupType: null,
    modifiedProperties: [
      { displayName: 'AllowedToUseSspr', oldValue: `[${!newValue}]`, newValue: `[${newValue}]` },
    ],
  };
}
