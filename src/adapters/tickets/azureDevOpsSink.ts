import { AppError } from '../../errors';
import { RETRYABLE_STATUS } from '../http/retryPolicy';
import type { TicketContent, TicketRef, TicketSink } from '../../usecases/ports/actions';
import { escapeHtml, renderHtml } from './render/html';
import { ticketDocument } from './ticketDocument';
import {
  basicAuth,
  postOnce,
  sinkHttp,
  ticketRequest,
  type TicketHttpOptions,
  type TicketHttpResponse,
} from './ticketHttp';
import { INCIDENT_ID, isRecord, TicketSinkOptions, truncate } from './sinkCommon';
import type { AzureDevOpsSettings } from '../../config/tickets';

/**
 * Azure DevOps work items through REST 7.1, basic auth with a personal access token (empty user name).
 *
 * - Dedupe key: the tag `sspr-incident-<incidentId>` (next to `sspr-remediator`), found with WIQL.
 *   WIQL's CONTAINS is a substring test, so every hit is read back and its tags compared exactly.
 * - TicketRef: `id` is the work item id as a string, `url` its web address (`_links.html.href`).
 * - Routing (issue 15): a tenant's `project` replaces AZURE_DEVOPS_PROJECT for find and create, and the
 *   TicketRef then records it as `destination`: updates go to the project the item was filed in, whatever
 *   the routing says later. find() looks in the current project only (WIQL's `@project`): a create whose
 *   journal row was lost just before the routing changed could be filed again in the new project.
 * - Updates are work item comments (HTML, comments API 7.1-preview.4) ending in
 *   `sspr-remediator update <key>`; existing comments are read first so a retry never posts twice.
 *   `resolved` also moves the item to AZURE_DEVOPS_DONE_STATE.
 */

const CODE = 'TICKET.AZUREDEVOPS_FAILED';
const API = 'api-version=7.1';
const COMMENTS_API = 'api-version=7.1-preview.4';
const PRODUCT_TAG = 'sspr-remediator';
// System.Title is limited to 255 characters.
const TITLE_LIMIT = 255;
const WORK_ITEM_ID = /^[1-9][0-9]{0,9}$/;
// Safety net against a server that keeps handing out continuation tokens.
const MAX_COMMENT_PAGES = 100;

export type AzureDevOpsSinkOptions = TicketSinkOptions;

interface WorkItem {
  id: number;
  fields?: Record<string, unknown>;
  _links?: { html?: { href?: string } };
}

export class AzureDevOpsSink implements TicketSink {
  readonly system = 'azuredevops' as const;
  /** `{org}/{project}` of the project new items go to (the tenant's, or AZURE_DEVOPS_PROJECT). */
  private readonly base: string;
  /** Set when the tenant's routing chose the project: recorded on each TicketRef. */
  private readonly routedProject: string | undefined;
  private readonly projectNamed: string;
  private readonly http: TicketHttpOptions;

  constructor(
    private readonly settings: AzureDevOpsSettings,
    options: AzureDevOpsSinkOptions = {},
  ) {
    this.routedProject = options.routing?.project;
    // Errors name what the operator must check: the tenant's routing, or the setting.
    this.projectNamed = this.routedProject
      ? `the tenant's routing project "${this.routedProject}"`
      : 'AZURE_DEVOPS_PROJECT';
    this.base = this.projectBase(this.routedProject ?? settings.AZURE_DEVOPS_PROJECT);
    // 'AzureDevOps' becomes the error code TICKET.AZUREDEVOPS_FAILED; a PAT goes with an empty user name.
    this.http = sinkHttp('AzureDevOps', { Authorization: basicAuth('', settings.AZURE_DEVOPS_PAT) }, options);
  }

  async find(incidentId: string): Promise<TicketRef | undefined> {
    const tag = incidentTag(incidentId);
    const query = `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS '${tag}'`;
    const response = await this.call(`${this.base}/_apis/wit/wiql?${API}`, {
      method: 'POST',
      body: { query },
    });
    const hits = response.body?.workItems;
    if (!Array.isArray(hits)) throw unexpected('POST _apis/wit/wiql');
    const ids = hits
      .map((hit: { id?: unknown }) => Number(hit?.id))
      .filter((id) => Number.isInteger(id) && id > 0);
    // Oldest first, so a duplicate made by hand never replaces the ticket we filed.
    for (const id of ids.sort((a, b) => a - b)) {
      const item = await this.workItem(id);
      if (item && tagsOf(item).includes(tag)) return this.ref(item);
    }
    return undefined;
  }

  async create(content: TicketContent, idempotencyKey: string): Promise<TicketRef> {
    // The incident tag is the dedupe key of the work item itself; the key of a repeat is the same incident.
    void idempotencyKey;
    const tag = incidentTag(content.incidentId);
    const doc = ticketDocument(content);
    const patch = [
      { op: 'add', path: '/fields/System.Title', value: truncate(doc.title, TITLE_LIMIT) },
      { op: 'add', path: '/fields/System.Description', value: renderHtml(doc.blocks) },
      { op: 'add', path: '/fields/System.Tags', value: `${PRODUCT_TAG}; ${tag}` },
    ];
    const url = `${this.base}/_apis/wit/workitems/$${encodeURIComponent(this.settings.AZURE_DEVOPS_WORK_ITEM_TYPE)}?${API}`;
    const outcome = await this.postOnce(
      url,
      patch,
      'application/json-patch+json',
      'POST _apis/wit/workitems',
      () => this.find(content.incidentId),
    );
    if ('existing' in outcome) return outcome.existing;
    const created = outcome.response.body;
    if (!isRecord(created) || !Number.isInteger(created.id)) throw unexpected('POST _apis/wit/workitems');
    return this.ref(created as WorkItem);
  }

  async update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    if (!WORK_ITEM_ID.test(ticket.id)) {
      throw new AppError(
        CODE,
        `The Azure DevOps ticket reference "${ticket.id}" is not a work item id; it should come from find() or create().`,
      );
    }
    // The project the item was filed in: the tenant's routing may have changed since.
    const base = this.projectBase(ticket.destination ?? this.settings.AZURE_DEVOPS_PROJECT);
    const itemUrl = `${base}/_apis/wit/workItems/${ticket.id}`;
    const footer = updateFooter(idempotencyKey);
    const text = `${renderHtml(ticketDocument(content).blocks)}\n${footer}`;
    const posted = () => this.hasComment(itemUrl, footer);
    if (!(await posted())) {
      await this.postOnce(
        `${itemUrl}/comments?${COMMENTS_API}`,
        { text },
        'application/json',
        'POST _apis/wit/workItems/{id}/comments',
        async () => ((await posted()) ? true : undefined),
      );
    }
    if (content.event === 'resolved') {
      // Setting the state it already has is accepted, so a repeat of this step is harmless.
      const done = this.settings.AZURE_DEVOPS_DONE_STATE;
      const response = await this.call(
        `${base}/_apis/wit/workitems/${ticket.id}?${API}`,
        {
          method: 'PATCH',
          body: [{ op: 'add', path: '/fields/System.State', value: done }],
          contentType: 'application/json-patch+json',
        },
        [400],
      );
      if (response.status === 400) {
        throw new AppError(
          CODE,
          `Azure DevOps refused to move work item ${ticket.id} to the state "${done}" (400). Set AZURE_DEVOPS_DONE_STATE to the closed state of the ${this.settings.AZURE_DEVOPS_WORK_ITEM_TYPE} type in your process (Basic: Done; Agile, Scrum and CMMI: Closed or Done).`,
        );
      }
    }
  }

  private postOnce<T>(
    url: string,
    body: unknown,
    contentType: string,
    what: string,
    already: () => Promise<T | undefined>,
  ) {
    return postOnce(
      () => this.call(url, { method: 'POST', body, contentType }, [...RETRYABLE_STATUS], 1),
      already,
      what,
      this.http,
    );
  }

  private async workItem(id: number): Promise<WorkItem | undefined> {
    const response = await this.call(
      `${this.base}/_apis/wit/workitems/${id}?$expand=links&${API}`,
      { method: 'GET' },
      [404],
    );
    if (response.status === 404) return undefined;
    if (!isRecord(response.body) || response.body.id !== id) throw unexpected('GET _apis/wit/workitems/{id}');
    return response.body as WorkItem;
  }

  private async hasComment(itemUrl: string, footer: string): Promise<boolean> {
    let token: string | undefined;
    for (let page = 0; page < MAX_COMMENT_PAGES; page++) {
      const query = token ? `${COMMENTS_API}&continuationToken=${encodeURIComponent(token)}` : COMMENTS_API;
      const response = await this.call(`${itemUrl}/comments?${query}`, { method: 'GET' });
      const comments = response.body?.comments;
      if (!Array.isArray(comments)) throw unexpected('GET _apis/wit/workItems/{id}/comments');
      if (
        comments.some(
          (comment: { text?: unknown }) => typeof comment?.text === 'string' && comment.text.includes(footer),
        )
      )
        return true;
      token =
        typeof response.body.continuationToken === 'string' && response.body.continuationToken !== ''
          ? response.body.continuationToken
          : undefined;
      if (!token) return false;
    }
    return false;
  }

  private ref(item: WorkItem): TicketRef {
    const href = item._links?.html?.href;
    return {
      system: 'azuredevops',
      id: String(item.id),
      // Older answers may lack _links; the edit page works with the project name as well as its id.
      url: typeof href === 'string' && href !== '' ? href : `${this.base}/_workitems/edit/${item.id}`,
      ...(this.routedProject !== undefined ? { destination: this.routedProject } : {}),
    };
  }

  /** `{org}/{project}`; a project from a stored TicketRef is checked like a setting before it becomes a path. */
  private projectBase(project: string): string {
    if (project === '' || /[/\\?#]/.test(project)) {
      throw new AppError(CODE, `"${project}" is not an Azure DevOps project name or id; this is a bug.`);
    }
    return `${this.settings.AZURE_DEVOPS_ORG_URL}/${encodeURIComponent(project)}`;
  }

  /** ticketRequest plus Azure DevOps' ways of saying "your token is wrong" turned into advice. */
  private async call(
    url: string,
    init: { method: string; body?: unknown; contentType?: string },
    accept: number[] = [],
    maxAttempts?: number,
  ): Promise<TicketHttpResponse> {
    const http = maxAttempts === undefined ? this.http : { ...this.http, maxAttempts };
    const response = await ticketRequest(url, init, http, [...accept, 203, 401, 403, 404]);
    const where = `${init.method} ${new URL(url).pathname}`;
    if (response.status === 401 || response.status === 403) {
      throw new AppError(
        CODE,
        `Azure DevOps answered ${response.status} to ${where}: check AZURE_DEVOPS_PAT (expired, revoked, or without the Work Items Read & write scope) and that its user may edit work items in ${this.projectNamed}.`,
      );
    }
    // A missing or unusable token may get 203 with the sign-in page instead of a 401.
    if (
      response.status === 203 ||
      (response.status < 300 && response.body !== null && !isRecord(response.body))
    ) {
      throw new AppError(
        CODE,
        `Azure DevOps answered ${where} with a web page instead of JSON (status ${response.status}): check AZURE_DEVOPS_PAT and AZURE_DEVOPS_ORG_URL.`,
      );
    }
    if (response.status === 404 && !accept.includes(404)) {
      throw new AppError(
        CODE,
        `Azure DevOps answered 404 to ${where}: check AZURE_DEVOPS_ORG_URL, ${this.projectNamed} and AZURE_DEVOPS_WORK_ITEM_TYPE (${response.body?.message ?? 'no detail'}).`,
      );
    }
    return response;
  }
}

/** The tag that marks the incident's work item; lower case because Azure DevOps compares tags without case. */
function incidentTag(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) {
    throw new AppError(
      CODE,
      'The incident id has characters that cannot go into a WIQL query or a tag; this is a bug.',
    );
  }
  return `sspr-incident-${incidentId.toLowerCase()}`;
}

function tagsOf(item: WorkItem): string[] {
  const tags = item.fields?.['System.Tags'];
  return typeof tags === 'string' ? tags.split(';').map((tag) => tag.trim().toLowerCase()) : [];
}

/**
 * Ends every comment so a repeat of the same update is recognised. Visible text, because Azure DevOps
 * sanitises comment HTML and may drop comments or attributes; `<code>` cannot come from escaped user text.
 */
function updateFooter(idempotencyKey: string): string {
  return `<p><small>sspr-remediator update <code>${escapeHtml(idempotencyKey)}</code></small></p>`;
}

function unexpected(what: string): AppError {
  return new AppError(
    CODE,
    `Azure DevOps gave an unexpected answer (${what}); check that AZURE_DEVOPS_ORG_URL is the organization's address.`,
  );
}
