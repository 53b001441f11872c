/**
 * What the tool may do about an incident, defined once: settings, requests, queue messages and the
 * incident rules all read this list.
 */
export const ACTION_MODES = ['report', 'ticket', 'remediate', 'approve'] as const;
export type ActionMode = (typeof ACTION_MODES)[number];

export function isActionMode(text: string): text is ActionMode {
  return (ACTION_MODES as readonly string[]).includes(text);
}

/** Safest first: a request may ask for the configured mode or one before it in this list, never after. */
export const MODES_BY_RISK = [
  'report',
  'ticket',
  'approve',
  'remediate',
] as const satisfies readonly ActionMode[];

export function modeRisk(mode: ActionMode): number {
  return MODES_BY_RISK.indexOf(mode);
}

/** The safer of the two: a queued request never acts more than the app is configured to now. */
export function saferMode(requested: ActionMode | undefined, configured: ActionMode): ActionMode {
  return requested !== undefined && modeRisk(requested) < modeRisk(configured) ? requested : configured;
}

/** A directory (tenant) id: a GUID. The one rule for settings, the command line and requests. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isTenantId(text: string): boolean {
  return GUID.test(text);
}
