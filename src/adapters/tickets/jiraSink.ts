import { AppError, clip } from '../../errors';
import { RETRYABLE_STATUS } from '../http/retryPolicy';
import type { TicketContent, TicketRef, TicketSink } from '../../usecases/ports/actions';
import { adfLine, renderAdf, type AdfDoc, type AdfNode } from './render/adf';
import { ticketDocument, type Block } from './ticketDocument';
import {
  basicAuth,
  postOnce,
  sinkHttp,
  ticketRequest,
  type TicketHttpOptions,
  type TicketHttpResponse,
} from './ticketHttp';
import { INCIDENT_ID, TicketSinkOptions, truncate } from './sinkCommon';
import type { JiraSettings } from '../../config/tickets';

/**
 * Jira Cloud issues through REST v3, basic auth with an Atlassian account e-mail and API token.
 *
 * - Dedupe key: the label `sspr-incident-<incident id>` (plus `sspr-remediator`), found with
 *   `POST /rest/api/3/search/jql`. That search is eventually consistent (seconds, Atlassian says
 *   sometimes minutes): an issue created moments ago may not be found yet. So after a create whose
 *   answer was lost (502/503/504, timeout, dropped connection) the sink searches again over
 *   JIRA_SEARCH_SETTLE_WAITS_MS (about 30 s) and, if the issue still does not show, fails the step as
 *   transient rather than filing a second one: the journal row stays "intended" and the next scan looks
 *   (find) before it files. Only a 429 (refused by the rate limiter, nothing stored) is retried at once.
 *   `reconcileIssues` would make the search read-after-write consistent, but it needs the issue ids,
 *   which a lost answer does not give.
 * - Routing (issue 15): a tenant's `project` replaces JIRA_PROJECT_KEY for find and create. Updates
 *   address the issue by its key, which Jira resolves in any project, so a routing change never moves
 *   updates; only find() looks in the current project (a create whose journal row was lost before the
 *   routing changed could be filed again in the new project).
 * - TicketRef: `id` is the issue key (e.g. SSPR-12; Jira still resolves an old key after a move),
 *   `url` is `{base}/browse/{key}`.
 * - Updates are comments in ADF; `resolved` also takes the first transition whose target status is in
 *   the `done` category (none available: the comment alone). Each comment ends with a paragraph that
 *   holds only `sspr-remediator <idempotency key>` as inline code. renderAdf never puts a mark on user
 *   text, so no UPN or approver note can make that node; a comment counts as posted only when it has
 *   it exactly. Comments and transitions are posted once per attempt and looked for before a retry.
 */

const LABEL = 'sspr-remediator';
/** Waits between searches after a lost create answer: five more looks over 30 s. */
export const JIRA_SEARCH_SETTLE_WAITS_MS = [1000, 2000, 4000, 8000, 15000];
const SUMMARY_LIMIT = 255;
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/;

export class JiraSink implements TicketSink {
  readonly system = 'jira' as const;
  private readonly base: string;
  private readonly http: TicketHttpOptions;
  private readonly settleWaitsMs: number[];
  /** The tenant's project when its routing names one, else JIRA_PROJECT_KEY. */
  private readonly projectKey: string;
  /** What errors tell the operator to check: the tenant's routing, or the setting. */
  private readonly projectNamed: string;

  constructor(
    private readonly settings: JiraSettings,
    options: TicketSinkOptions = {},
  ) {
    this.base = settings.JIRA_BASE_URL;
    this.projectKey = options.routing?.project ?? settings.JIRA_PROJECT_KEY;
    this.projectNamed = options.routing?.project
      ? `the tenant's routing project "${options.routing.project}"`
      : 'JIRA_PROJECT_KEY';
    this.settleWaitsMs = options.searchSettleWaitsMs ?? JIRA_SEARCH_SETTLE_WAITS_MS;
    this.http = sinkHttp(
      'jira',
      { Authorization: basicAuth(settings.JIRA_EMAIL, settings.JIRA_API_TOKEN) },
      options,
    );
  }

  async find(incidentId: string): Promise<TicketRef | undefined> {
    const jql = `project = "${this.projectKey}" AND labels = "${incidentLabel(incidentId)}" ORDER BY created ASC`;
    const response = await this.call(`${this.base}/rest/api/3/search/jql`, {
      method: 'POST',
      body: { jql, fields: ['status'], maxResults: 1 },
    });
    const issues = response.body?.issues;
    if (!Array.isArray(issues)) throw this.unexpected('POST /rest/api/3/search/jql');
    return issues.length > 0 ? this.ref(issues[0]?.key) : undefined;
  }

  async create(content: TicketContent, idempotencyKey: string): Promise<TicketRef> {
    const doc = ticketDocument(content);
    const body = {
      fields: {
        project: { key: this.projectKey },
        issuetype: { name: this.settings.JIRA_ISSUE_TYPE },
        summary: truncate(adfLine(doc.title), SUMMARY_LIMIT),
        description: withMarker(doc.blocks, idempotencyKey),
        labels: [LABEL, incidentLabel(content.incidentId)],
      },
    };
    const post = () =>
      this.call(`${this.base}/rest/api/3/issue`, { method: 'POST', body }, [400, ...RETRYABLE_STATUS], 1);
    // A 429 comes from the rate limiter before anything is stored; any other failure may hide a new issue.
    const already = (failed: TicketHttpResponse | undefined) =>
      failed?.status === 429
        ? this.find(content.incidentId)
        : this.findAfterLostAnswer(content.incidentId, failed);
    const outcome = await postOnce(post, already, 'POST /rest/api/3/issue', this.http);
    if ('existing' in outcome) return outcome.existing;
    if (outcome.response.status === 400) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `jira refused the new issue (400: ${jiraErrors(outcome.response.body)}). Check ${this.projectNamed} and JIRA_ISSUE_TYPE, and that the project's create screen has no other required field.`,
      );
    }
    return this.ref(outcome.response.body?.key);
  }

  async update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    if (!ISSUE_KEY.test(ticket.id)) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `The Jira ticket reference "${ticket.id}" is not an issue key; it should come from find() or create().`,
      );
    }
    const issueUrl = `${this.base}/rest/api/3/issue/${ticket.id}`;
    const posted = async () => ((await this.hasComment(issueUrl, idempotencyKey)) ? true : undefined);
    if (!(await posted())) {
      const body = { body: withMarker(ticketDocument(content).blocks, idempotencyKey) };
      const post = () => this.call(`${issueUrl}/comment`, { method: 'POST', body }, [...RETRYABLE_STATUS], 1);
      await postOnce(post, posted, 'POST /rest/api/3/issue/{key}/comment', this.http);
    }
    if (content.event === 'resolved') await this.resolve(issueUrl);
  }

  /**
   * Searches again, with waits, for the issue of a create whose answer was lost. Not found after the
   * last wait: the issue may still exist behind the search's lag, so the step fails as transient
   * instead of filing a second one, and the next scan looks again before it files.
   */
  private async findAfterLostAnswer(
    incidentId: string,
    failed: TicketHttpResponse | undefined,
  ): Promise<TicketRef> {
    const sleep =
      this.http.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let look = 0; ; look++) {
      const found = await this.find(incidentId);
      if (found) return found;
      if (look >= this.settleWaitsMs.length) break;
      await sleep(this.settleWaitsMs[look]);
    }
    const seconds = Math.round(this.settleWaitsMs.reduce((sum, ms) => sum + ms, 0) / 1000);
    throw new AppError(
      'TICKET.JIRA_FAILED',
      `jira did not confirm the new issue (${failed ? `answered ${failed.status}` : 'no answer'} to POST /rest/api/3/issue), and ${this.settleWaitsMs.length + 1} searches over ${seconds} s did not show it. Jira's search lags behind writes, so the issue may exist: rather than file a second one, this step stops here and the next scan looks again before filing.`,
      { transient: true },
    );
  }

  /** Whether a recent comment carries this update's marker node (see hasMarker). */
  private async hasComment(issueUrl: string, idempotencyKey: string): Promise<boolean> {
    const recent = await this.call(
      `${issueUrl}/comment?${new URLSearchParams({ orderBy: '-created', maxResults: '100' })}`,
      { method: 'GET' },
    );
    const comments: unknown[] = Array.isArray(recent.body?.comments) ? recent.body.comments : [];
    return comments.some((comment) => hasMarker((comment as { body?: unknown })?.body, idempotencyKey));
  }

  /** Moves the issue to a `done` status unless it already is in one (e.g. closed by hand). */
  private async resolve(issueUrl: string): Promise<void> {
    const isDone = async () => {
      const issue = await this.call(`${issueUrl}?fields=status`, { method: 'GET' });
      return issue.body?.fields?.status?.statusCategory?.key === 'done' ? true : undefined;
    };
    if (await isDone()) return;
    const available = await this.call(`${issueUrl}/transitions`, { method: 'GET' });
    const transitions: any[] = Array.isArray(available.body?.transitions) ? available.body.transitions : [];
    const done = transitions.find((transition) => transition?.to?.statusCategory?.key === 'done');
    // Workflows differ; without a transition to done, the comment says it is resolved and a person closes it.
    if (!done || typeof done.id !== 'string') return;
    // Once per attempt: a lost answer is followed by a look at the status, since repeating a transition
    // that happened is refused (400) by Jira.
    const post = () =>
      this.call(
        `${issueUrl}/transitions`,
        { method: 'POST', body: { transition: { id: done.id } } },
        [400, ...RETRYABLE_STATUS],
        1,
      );
    const outcome = await postOnce(post, isDone, 'POST /rest/api/3/issue/{key}/transitions', this.http);
    if ('existing' in outcome) return;
    if (outcome.response.status === 400) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `jira refused the transition "${String(done.name ?? done.id)}" (400: ${jiraErrors(outcome.response.body)}). The workflow likely asks for a field on that screen; close the issue by hand.`,
      );
    }
  }

  private ref(key: unknown): TicketRef {
    if (typeof key !== 'string' || !ISSUE_KEY.test(key)) throw this.unexpected('issue without a key');
    return { system: 'jira', id: key, url: `${this.base}/browse/${key}` };
  }

  private async call(
    url: string,
    init: { method: string; body?: unknown },
    accept: number[] = [],
    maxAttempts?: number,
  ): Promise<TicketHttpResponse> {
    const http = maxAttempts === undefined ? this.http : { ...this.http, maxAttempts };
    const response = await ticketRequest(url, init, http, [...accept, 401, 403]);
    if (response.status === 401 || response.status === 403) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `jira answered ${response.status} to ${init.method} ${new URL(url).pathname}: check JIRA_EMAIL and JIRA_API_TOKEN, and that the account may browse, create and comment on issues in project ${this.projectKey}.`,
      );
    }
    return response;
  }

  private unexpected(what: string): AppError {
    return new AppError(
      'TICKET.JIRA_FAILED',
      `jira gave an unexpected answer (${what}); check that JIRA_BASE_URL points at the Jira site itself.`,
    );
  }
}

function incidentLabel(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) {
    throw new AppError(
      'TICKET.JIRA_FAILED',
      'The incident id has characters that cannot go into a Jira label; this is a bug.',
    );
  }
  return `sspr-incident-${incidentId}`;
}

function markerText(idempotencyKey: string): string {
  return `sspr-remediator ${adfLine(idempotencyKey)}`;
}

/**
 * The update marker: a paragraph holding one text node with a `code` mark. renderAdf puts user text
 * only in unmarked text nodes, so no UPN, approver name or note can produce this node.
 */
function markerNode(idempotencyKey: string): AdfNode {
  return {
    type: 'paragraph',
    content: [{ type: 'text', text: markerText(idempotencyKey), marks: [{ type: 'code' }] }],
  };
}

function withMarker(blocks: Block[], idempotencyKey: string): AdfDoc {
  const doc = renderAdf(blocks);
  return { ...doc, content: [...doc.content, markerNode(idempotencyKey)] };
}

/**
 * Whether an ADF tree holds the marker node for this key exactly: a paragraph whose only child is the
 * marker text with the `code` mark and no other. Not a text search: a note may hold the same words.
 */
function hasMarker(node: unknown, idempotencyKey: string): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const { type, content } = node as { type?: unknown; content?: unknown };
  if (!Array.isArray(content)) return false;
  if (type === 'paragraph' && content.length === 1) {
    const only = content[0] as { type?: unknown; text?: unknown; marks?: unknown } | null;
    const marks = only?.marks;
    if (
      only?.type === 'text' &&
      only.text === markerText(idempotencyKey) &&
      Array.isArray(marks) &&
      marks.length === 1 &&
      (marks[0] as { type?: unknown } | null)?.type === 'code'
    ) {
      return true;
    }
  }
  return content.some((child) => hasMarker(child, idempotencyKey));
}

/** Jira's field errors ("project: valid project is required"): field names and Jira's own words, no payload. */
function jiraErrors(body: any): string {
  const messages: string[] = Array.isArray(body?.errorMessages) ? body.errorMessages.map(String) : [];
  const fields =
    typeof body?.errors === 'object' && body.errors !== null
      ? Object.entries(body.errors).map(([field, message]) => `${field}: ${String(message)}`)
      : [];
  return clip([...messages, ...fields].join('; '), 500) || 'no detail';
}
