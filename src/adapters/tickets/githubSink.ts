import { AppError } from '../../errors';
import { RETRYABLE_STATUS } from '../http/retryPolicy';
import type { TicketContent, TicketRef, TicketSink } from '../../usecases/ports/actions';
import { renderMarkdown } from './render/markdown';
import { ticketDocument } from './ticketDocument';
import {
  postOnce,
  sinkHttp,
  ticketRequest,
  type TicketHttpOptions,
  type TicketHttpResponse,
} from './ticketHttp';
import { hasLine, INCIDENT_ID, isRecord, TicketSinkOptions, truncate } from './sinkCommon';
import type { GithubSettings } from '../../config/tickets';
import { GITHUB_REPOSITORY } from '../../core/ticketRouting';
import type { operations } from '@octokit/openapi-types';

/**
 * Request bodies and queries as GitHub's OpenAPI description (@octokit/openapi-types, a dev dependency
 * erased at build) defines each operation: a field GitHub does not know fails `npm run typecheck`.
 */
type GitHubBody<Op extends keyof operations> =
  NonNullable<operations[Op] extends { requestBody?: infer B } ? B : never> extends {
    content: { 'application/json': infer J };
  }
    ? J
    : never;
type GitHubQuery<Op extends keyof operations> = NonNullable<
  operations[Op] extends { parameters: { query?: infer Q } } ? Q : never
>;
/** URLSearchParams takes strings; the spec's numbers are written as text. */
type AsText<T> = { [K in keyof T]: T[K] extends number | undefined ? string : T[K] };

/**
 * GitHub issues through the REST API (version 2022-11-28), with a bearer token.
 *
 * - Dedupe key: the hidden line `<!-- sspr-remediator:incident=<incidentId> -->` in the issue body.
 *   The `sspr-remediator` label only narrows the list (every incident shares it). The Markdown renderer
 *   writes `<` in user text as `&lt;`, so no UPN or note can put that line into another issue.
 * - TicketRef: `id` is the issue number as a string, `url` its `html_url`.
 * - Routing (issue 15): a tenant's `project` (owner/name) replaces GITHUB_REPOSITORY for find and create,
 *   and the TicketRef records it as `destination`: issue numbers are per repository, so updates must go
 *   to the repository the issue was filed in, whatever the routing says later. find() lists the current
 *   repository only: a create whose journal row was lost just before the routing changed could be filed
 *   again in the new repository.
 * - Updates are comments ending in `<!-- sspr-remediator:update=<key> -->`; the comments are read
 *   first so a retry never posts twice. `resolved` also closes the issue as completed.
 * - A 403 with `x-ratelimit-remaining: 0` (or a Retry-After) is GitHub's rate limit: waited out once,
 *   up to a minute; longer waits fail as transient so the next run tries again.
 */

const CODE = 'TICKET.GITHUB_FAILED';
const LABEL = 'sspr-remediator';
// GitHub refuses issue and comment bodies over 65,536 characters; keep room for the marker.
const BODY_LIMIT = 65_000;
const TITLE_LIMIT = 256;
const ISSUE_NUMBER = /^[1-9][0-9]{0,9}$/;
// Owner: letters, digits and single hyphens (max 39); repository: letters, digits, . _ - (max 100).
// 100 pages of 100: far more sspr-remediator issues than one repository should ever hold.
const MAX_PAGES = 100;
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export interface GithubSinkOptions extends TicketSinkOptions {
  /** The longest wait for GitHub's rate limit to reset before giving up until the next run. */
  rateLimitMaxWaitMs?: number;
}

interface Issue {
  number: number;
  html_url: string;
  body?: string | null;
  pull_request?: unknown;
}

export class GithubSink implements TicketSink {
  readonly system = 'github' as const;
  private readonly api: URL;
  /** The repository new issues go to: the tenant's, or GITHUB_REPOSITORY. */
  private readonly repoUrl: string;
  /** Set when the tenant's routing chose the repository: recorded on each TicketRef. */
  private readonly routedRepository: string | undefined;
  /** What errors tell the operator to check: the tenant's routing, or the setting. */
  private readonly repositoryNamed: string;
  private readonly http: TicketHttpOptions;

  constructor(
    private readonly settings: GithubSettings,
    private readonly options: GithubSinkOptions = {},
  ) {
    this.api = new URL(settings.GITHUB_API_URL);
    this.routedRepository = options.routing?.project;
    this.repositoryNamed = this.routedRepository
      ? `the tenant's routing repository "${this.routedRepository}"`
      : 'GITHUB_REPOSITORY';
    this.repoUrl = this.repositoryUrl(this.routedRepository ?? settings.GITHUB_REPOSITORY);
    // 'GitHub' becomes the error code TICKET.GITHUB_FAILED.
    const headers = {
      Authorization: `Bearer ${settings.GITHUB_TOKEN}`,
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'sspr-remediator',
    };
    this.http = sinkHttp('GitHub', headers, options);
  }

  async find(incidentId: string): Promise<TicketRef | undefined> {
    const marker = incidentMarker(incidentId);
    const query = new URLSearchParams({ labels: LABEL, state: 'all', per_page: '100' } satisfies AsText<
      GitHubQuery<'issues/list-for-repo'>
    >);
    let found: TicketRef | undefined;
    await this.eachPage(`${this.repoUrl}/issues?${query}`, 'GET issues', (issues) => {
      // The list holds pull requests too; only issues carry our marker legitimately.
      const hit = (issues as Issue[]).find(
        (issue) =>
          isRecord(issue) &&
          Number.isInteger(issue.number) &&
          !issue.pull_request &&
          hasLine(issue.body, marker),
      );
      if (hit) found = this.ref(hit);
      return found !== undefined;
    });
    return found;
  }

  async create(content: TicketContent, idempotencyKey: string): Promise<TicketRef> {
    // The body marker is the dedupe key of the issue itself; the key of a repeat is the same incident.
    void idempotencyKey;
    const marker = incidentMarker(content.incidentId);
    const doc = ticketDocument(content);
    const body = {
      title: truncate(doc.title, TITLE_LIMIT),
      body: `${truncate(renderMarkdown(doc.blocks), BODY_LIMIT)}\n\n${marker}\n`,
      labels: [LABEL],
    } satisfies GitHubBody<'issues/create'>;
    const outcome = await this.postOnce(`${this.repoUrl}/issues`, body, 'POST issues', () =>
      this.find(content.incidentId),
    );
    if ('existing' in outcome) return outcome.existing;
    const created = outcome.response.body;
    if (!isRecord(created) || !Number.isInteger(created.number) || typeof created.html_url !== 'string')
      throw unexpected('POST issues');
    await this.ensureLabel(created as Issue & { labels?: unknown });
    return this.ref(created as Issue);
  }

  async update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    if (!ISSUE_NUMBER.test(ticket.id)) {
      throw new AppError(
        CODE,
        `The GitHub ticket reference "${ticket.id}" is not an issue number; it should come from find() or create().`,
      );
    }
    // Issue numbers are per repository: the one it was filed in, whatever the routing says now.
    const issueUrl = `${this.repositoryUrl(ticket.destination ?? this.settings.GITHUB_REPOSITORY)}/issues/${ticket.id}`;
    const marker = updateMarker(idempotencyKey);
    const body = {
      body: `${truncate(renderMarkdown(ticketDocument(content).blocks), BODY_LIMIT)}\n\n${marker}\n`,
    } satisfies GitHubBody<'issues/create-comment'>;
    const posted = () => this.hasComment(issueUrl, marker);
    if (!(await posted())) {
      await this.postOnce(`${issueUrl}/comments`, body, 'POST issues/{number}/comments', async () =>
        (await posted()) ? true : undefined,
      );
    }
    if (content.event === 'resolved') {
      // Closing a closed issue is accepted, so a repeat of this step is harmless.
      await this.call(issueUrl, {
        method: 'PATCH',
        body: { state: 'closed', state_reason: 'completed' } satisfies GitHubBody<'issues/update'>,
      });
    }
  }

  /**
   * GitHub silently drops the labels of a new issue when the token may not set them. find() lists by
   * label, so an unlabelled issue would be filed again on every run: add the label, or fail loudly.
   */
  private async ensureLabel(issue: Issue & { labels?: unknown }): Promise<void> {
    const labels = Array.isArray(issue.labels) ? issue.labels : [];
    if (labels.some((label) => (isRecord(label) ? label.name : label) === LABEL)) return;
    try {
      await this.call(`${this.repoUrl}/issues/${issue.number}/labels`, {
        method: 'POST',
        body: { labels: [LABEL] } satisfies GitHubBody<'issues/add-labels'>,
      });
    } catch (err) {
      throw new AppError(
        CODE,
        `GitHub filed issue #${issue.number} but dropped its "${LABEL}" label: GITHUB_TOKEN needs Issues: Read and write (triage or write access) on ${this.repositoryNamed}. Add the label to that issue by hand, or the next run files another one.`,
        { cause: err },
      );
    }
  }

  private async hasComment(issueUrl: string, marker: string): Promise<boolean> {
    let found = false;
    await this.eachPage(`${issueUrl}/comments?per_page=100`, 'GET issues/{number}/comments', (comments) => {
      found = comments.some((comment) => isRecord(comment) && hasLine(comment.body, marker));
      return found;
    });
    return found;
  }

  /** Walks a list through its `Link: rel="next"` pages until `visit` says stop. */
  private async eachPage(first: string, what: string, visit: (items: unknown[]) => boolean): Promise<void> {
    const seen = new Set<string>();
    let url: string | undefined = first;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(url)) throw unexpected(`${what}: the pages do not end`);
      seen.add(url);
      const response = await this.call(url, { method: 'GET' });
      if (!Array.isArray(response.body)) throw unexpected(what);
      if (visit(response.body)) return;
      url = this.nextLink(response.headers.get('link'), what);
    }
  }

  /** The next page, only on the configured API: the token goes with it, so a link elsewhere is refused. */
  private nextLink(header: string | null, what: string): string | undefined {
    for (const part of (header ?? '').split(',')) {
      const match = /<([^>]+)>\s*;\s*rel="([^"]*)"/.exec(part);
      if (!match || !match[2].split(/\s+/).includes('next')) continue;
      let next: URL;
      try {
        next = new URL(match[1]);
      } catch {
        throw unexpected(`${what}: a next link that is not a URL`);
      }
      const basePath = this.api.pathname.replace(/\/+$/, '');
      if (next.origin !== this.api.origin || !next.pathname.startsWith(`${basePath}/`)) {
        throw new AppError(
          CODE,
          `GitHub's next page for ${what} points outside GITHUB_API_URL (${next.origin}); the token is not sent there.`,
        );
      }
      return next.toString();
    }
    return undefined;
  }

  /** See postOnce in ticketHttp.ts: a POST that must not take effect twice. */
  private postOnce<T>(url: string, body: unknown, what: string, already: () => Promise<T | undefined>) {
    return postOnce(
      () => this.call(url, { method: 'POST', body }, [...RETRYABLE_STATUS], 1),
      already,
      what,
      this.http,
    );
  }

  /** ticketRequest plus GitHub's 401/403/404/410 turned into advice, and its 403 rate limit waited out once. */
  private async call(
    url: string,
    init: { method: string; body?: unknown },
    accept: number[] = [],
    maxAttempts?: number,
  ): Promise<TicketHttpResponse> {
    const http = maxAttempts === undefined ? this.http : { ...this.http, maxAttempts };
    const where = `${init.method} ${new URL(url).pathname}`;
    for (let waited = false; ; waited = true) {
      const response = await ticketRequest(url, init, http, [...accept, 401, 403, 404, 410]);
      if (response.status === 401) {
        throw new AppError(
          CODE,
          `GitHub answered 401 (bad credentials) to ${where}: GITHUB_TOKEN is wrong, expired or revoked. Set a valid token.`,
        );
      }
      if (response.status === 403) {
        const waitMs = rateLimitWaitMs(response.headers);
        if (waitMs === undefined) {
          throw new AppError(
            CODE,
            `GitHub answered 403 to ${where}: GITHUB_TOKEN needs Issues: Read and write on ${this.repositoryNamed} (and, for an organization, SSO authorization).`,
          );
        }
        const maxWait = this.options.rateLimitMaxWaitMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
        if (waited || waitMs > maxWait) {
          const reset = response.headers.get('x-ratelimit-reset');
          const until =
            reset && /^\d+$/.test(reset) ? ` until ${new Date(Number(reset) * 1000).toISOString()}` : '';
          throw new AppError(
            CODE,
            `GitHub's rate limit for GITHUB_TOKEN is used up${until} (403 to ${where}); the next run tries again.`,
            { transient: true },
          );
        }
        await this.sleep(waitMs);
        continue;
      }
      if (response.status === 404 && !accept.includes(404)) {
        throw new AppError(
          CODE,
          `GitHub answered 404 to ${where}: check ${this.repositoryNamed} and GITHUB_API_URL; a private repository also answers 404 when GITHUB_TOKEN cannot see it.`,
        );
      }
      if (response.status === 410 && !accept.includes(410)) {
        throw new AppError(
          CODE,
          `GitHub answered 410 to ${where}: issues are disabled in ${this.repositoryNamed}. Turn them on or choose another repository.`,
        );
      }
      return response;
    }
  }

  private ref(issue: Issue): TicketRef {
    return {
      system: 'github',
      id: String(issue.number),
      url: issue.html_url,
      ...(this.routedRepository !== undefined ? { destination: this.routedRepository } : {}),
    };
  }

  /** The API address of `owner/name`; a repository from a stored TicketRef is checked like the setting. */
  private repositoryUrl(repository: string): string {
    if (!GITHUB_REPOSITORY.test(repository)) {
      throw new AppError(CODE, `"${repository}" is not a GitHub repository (owner/name); this is a bug.`);
    }
    const [owner, repo] = repository.split('/');
    return `${this.settings.GITHUB_API_URL}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  }

  private sleep(ms: number): Promise<void> {
    return (
      this.options.sleep ?? ((wait: number) => new Promise<void>((resolve) => setTimeout(resolve, wait)))
    )(ms);
  }
}

/** The hidden line that marks the incident's issue. */
export function incidentMarker(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) {
    throw new AppError(
      CODE,
      'The incident id has characters that cannot go into the issue marker; this is a bug.',
    );
  }
  return `<!-- sspr-remediator:incident=${incidentId} -->`;
}

/** The hidden line that ends each comment, so a repeat of the same update is recognised. */
function updateMarker(idempotencyKey: string): string {
  // Encoded so no key can end the HTML comment early (`>` becomes %3E).
  return `<!-- sspr-remediator:update=${encodeURIComponent(idempotencyKey)} -->`;
}

/** How long GitHub asks us to wait on a 403, or undefined when the 403 is not a rate limit. */
function rateLimitWaitMs(headers: Headers, nowMs = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
  if (headers.get('x-ratelimit-remaining') !== '0') return undefined;
  const reset = headers.get('x-ratelimit-reset');
  // A second past the reset time, for clock skew between us and GitHub.
  if (reset !== null && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - nowMs) + 1000;
  return 60_000;
}

function unexpected(what: string): AppError {
  return new AppError(
    CODE,
    `GitHub gave an unexpected answer (${what}); check that GITHUB_API_URL is the REST API address (https://api.github.com or https://HOST/api/v3).`,
  );
}
