import type { AuditEvent } from './model';

export interface PolicySwitch {
  at: string;
  allowedToUseSSPR: boolean;
  /** The value before this change, when Graph recorded it. */
  previous: boolean | undefined;
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
        switches.push({
          at: event.activityDateTime,
          allowedToUseSSPR: value,
          previous: parseFlag(property.oldValue),
          by,
        });
      }
    }
  }
  return switches.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** When admin SSPR was last switched on, if the last of these switches (oldest first) turned it on. */
export function lastSwitchedOn(switches: PolicySwitch[]): string | undefined {
  const last = switches.at(-1);
  return last?.allowedToUseSSPR ? last.at : undefined;
}

/**
 * The admin switch as it stood at a moment: the last change before it, else the value before the
 * first change after it, else (no change since) the value read now.
 */
export function switchValueAt(at: string, switches: PolicySwitch[], current: boolean): boolean {
  const time = Date.parse(at);
  const before = switches.filter((change) => Date.parse(change.at) <= time).at(-1);
  if (before) return before.allowedToUseSSPR;
  const after = switches.find((change) => Date.parse(change.at) > time);
  return after ? (after.previous ?? !after.allowedToUseSSPR) : current;
}

function parseFlag(text: string | null | undefined): boolean | undefined {
  const value = (text ?? '').replace(/[\s"'[\]]/g, '').toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
