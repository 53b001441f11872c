import type { Fence } from '../../usecases/ports/state';

/** What every ticket sink shares: retry knobs and small guards. */

export interface TicketSinkOptions {
  maxAttempts?: number;
  backoffBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** How long one attempt may wait for an answer; only tests shorten it. */
  attemptTimeoutMs?: number;
  /**
   * Jira only: the waits between searches for an issue whose create answer was lost (the search is
   * eventually consistent). Defaults to JIRA_SEARCH_SETTLE_WAITS_MS; only tests shorten it.
   */
  searchSettleWaitsMs?: number[];
  /**
   * The tenant lease of the scan that uses this sink, checked before every request: a holder that lost
   * the tenant stops at once, so at most the attempt already sent can land after a new holder started.
   */
  fence?: Fence;
  /** This tenant's overrides of the deployment's destination (issue 15); the sink is built per scan. */
  routing?: SinkRouting;
}

/**
 * A tenant's destination, on top of the deployment's ticket settings. Each sink reads only its field:
 * `project` (Azure DevOps project, Jira project key, GitHub owner/name), `assignmentGroup` (ServiceNow),
 * `webhookUrl` (read at ticket time, from Key Vault; it throws rather than fall back to the default URL).
 */
export interface SinkRouting {
  project?: string;
  assignmentGroup?: string;
  webhookUrl?: { describe: string; read: () => Promise<string> };
}

/** Our incident ids are UUIDs; anything else could break out of a query (JQL, WIQL, sysparm_query) or a label. */
export const INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function truncate(text: string, limit: number, suffix = '…'): string {
  return text.length <= limit ? text : `${text.slice(0, limit - suffix.length)}${suffix}`;
}

/**
 * Whether one whole line of `text` is `line`. A line, not a substring: the sinks' markers are lines
 * their renderers never let user text form (GitHub's `<!--`, ServiceNow's `<…>`), though escaped user
 * text may hold the same words.
 */
export function hasLine(text: unknown, line: string): boolean {
  return typeof text === 'string' && text.split(/\r?\n/).some((candidate) => candidate.trim() === line);
}
