import type { AuditEvent } from './model';

export interface PolicySwitch {
  at: string;
  allowedToUseSSPR: boolean;
  by: string | null;
}

/**
 * The admin SSPR switches found in "Update authorization policy" events, oldest first. Graph writes
 * the values as JSON text (`[true]`, `"true"`, `true`) and the property name's casing varies.
 */
export function adminSsprSwitches(events: AuditEvent[]): PolicySwitch[] {
  const switches: PolicySwitch[] = [];
  for (const event of events) {
    for (const target of event.targetResources ?? []) {
      for (const property of target.modifiedProperties ?? []) {
        if (property.displayName?.toLowerCase().replace(/[^a-z]/g, '') !== 'allowedtousesspr') continue;
        const value = parseFlag(property.newValue);
        if (value === undefined) continue;
        const by = event.initiatedBy?.user?.userPrincipalName ?? event.initiatedBy?.user?.id ?? null;
        switches.push({ at: event.activityDateTime, allowedToUseSSPR: value, by });
      }
    }
  }
  return switches.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** When admin SSPR was last switched on, if the last recorded switch in these events turned it on. */
export function lastSwitchedOn(events: AuditEvent[]): string | undefined {
  const last = adminSsprSwitches(events).at(-1);
  return last?.allowedToUseSSPR ? last.at : undefined;
}

function parseFlag(text: string | null | undefined): boolean | undefined {
  const value = (text ?? '').replace(/[\s"'[\]]/g, '').toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
