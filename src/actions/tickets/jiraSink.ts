import { z } from 'zod';
import { AppError } from '../../errors';
import { RETRYABLE_STATUS } from '../../graph/retryPolicy';
import type { TicketContent, TicketRef, TicketSink } from '../ports';
import { adfLine, renderAdf, type AdfDoc } from './render/adf';
import { ticketDocument, type Block } from './ticketDocument';
import { basicAuth, postOnce, sinkHttp, ticketRequest, type TicketHttpOptions, type TicketHttpResponse } from './ticketHttp';
import { blankIsUnset, INCIDENT_ID, isHttpsBase, loadSinkSettings, required, TicketSinkOptions, truncate } from './sinkCommon';

/**
 * Jira Cloud issues through REST v3, basic auth with an Atlassian account e-mail and API token.
 *
 * - Dedupe key: the label `sspr-incident-<incident id>` (plus `sspr-remediator`), found with
 *   `POST /rest/api/3/search/jql`. That search is eventually consistent (seconds, Atlassian says
 *   sometimes minutes): an issue created moments ago may not be found yet, so the journal, not the
 *   search, is what keeps a second ticket from being filed right after the first.
 * - TicketRef: `id` is the issue key (e.g. SSPR-12; Jira still resolves an old key after a move),
 *   `url` is `{base}/browse/{key}`.
 * - Updates are comments in ADF; `resolved` also takes the first transition whose target status is in
 *   the `done` category (none available: the comment alone). Each comment ends with
 *   `sspr-remediator <idempotency key>`; recent comments are read first so a retry never posts it twice.
 */

const LABEL = 'sspr-remediator';
const SUMMARY_LIMIT = 255;
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/;
export const jiraSettingsSchema = z.object({
  JIRA_BASE_URL: z.preprocess(
    blankIsUnset,
    z
      .string({ message: 'JIRA_BASE_URL is required: the https:// address of the Jira site, e.g. https://contoso.atlassian.net.' })
      .refine(isHttpsBase, {
        message: 'JIRA_BASE_URL must be an https:// URL without query or credentials, e.g. https://contoso.atlassian.net (the API token is sent with every request).',
      })
      .transform((text) => text.replace(/\/+$/, '')),
  ),
  JIRA_EMAIL: required('JIRA_EMAIL', 'the e-mail address of the Atlassian account the API token belongs to').refine((text) => !text.includes(':'), {
    message: 'JIRA_EMAIL must not contain ":" (basic auth cannot carry it).',
  }),
  JIRA_API_TOKEN: required('JIRA_API_TOKEN', 'an API token of that account (id.atlassian.com → Security → API tokens), not its password'),
  JIRA_PROJECT_KEY: required('JIRA_PROJECT_KEY', 'the key of the project the issues go to, e.g. SEC').refine((text) => /^[A-Z][A-Z0-9_]{1,254}$/.test(text), {
    message: 'JIRA_PROJECT_KEY must be a project key (capital letters, digits, underscore, starting with a letter), e.g. SEC; not the project name.',
  }),
  JIRA_ISSUE_TYPE: z.preprocess(blankIsUnset, z.string().default('Task')),
});

export type JiraSettings = z.output<typeof jiraSettingsSchema>;

/** Validates the Jira settings in `env`; the error names each bad variable but never shows the token. */
export function loadJiraSettings(env: NodeJS.ProcessEnv): JiraSettings {
  return loadSinkSettings(jiraSettingsSchema, env, 'Jira');
}

export class JiraSink implements TicketSink {
  readonly system = 'jira' as const;
  private readonly base: string;
  private readonly http: TicketHttpOptions;

  constructor(
    private readonly settings: JiraSettings,
    options: TicketSinkOptions = {},
  ) {
    this.base = settings.JIRA_BASE_URL;
    this.http = sinkHttp('jira', { Authorization: basicAuth(settings.JIRA_EMAIL, settings.JIRA_API_TOKEN) }, options);
  }

  async find(incidentId: string): Promise<TicketRef | undefined> {
    const jql = `project = "${this.settings.JIRA_PROJECT_KEY}" AND labels = "${incidentLabel(incidentId)}" ORDER BY created ASC`;
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
        project: { key: this.settings.JIRA_PROJECT_KEY },
        issuetype: { name: this.settings.JIRA_ISSUE_TYPE },
        summary: truncate(adfLine(doc.title), SUMMARY_LIMIT),
        description: withMarker(doc.blocks, idempotencyKey),
        labels: [LABEL, incidentLabel(content.incidentId)],
      },
    };
    const post = () => this.call(`${this.base}/rest/api/3/issue`, { method: 'POST', body }, [400, ...RETRYABLE_STATUS], 1);
    const outcome = await postOnce(post, () => this.find(content.incidentId), 'POST /rest/api/3/issue', this.http);
    if ('existing' in outcome) return outcome.existing;
    if (outcome.response.status === 400) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `jira refused the new issue (400: ${jiraErrors(outcome.response.body)}). Check JIRA_PROJECT_KEY and JIRA_ISSUE_TYPE, and that the project's create screen has no other required field.`,
      );
    }
    return this.ref(outcome.response.body?.key);
  }

  async update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    if (!ISSUE_KEY.test(ticket.id)) {
      throw new AppError('TICKET.JIRA_FAILED', `The Jira ticket reference "${ticket.id}" is not an issue key; it should come from find() or create().`);
    }
    const issueUrl = `${this.base}/rest/api/3/issue/${ticket.id}`;
    const recent = await this.call(`${issueUrl}/comment?${new URLSearchParams({ orderBy: '-created', maxResults: '100' })}`, { method: 'GET' });
    const comments: unknown[] = Array.isArray(recent.body?.comments) ? recent.body.comments : [];
    const repeated = comments.some((comment) => textOf((comment as { body?: unknown })?.body).includes(markerText(idempotencyKey)));
    if (!repeated) {
      await this.call(`${issueUrl}/comment`, { method: 'POST', body: { body: withMarker(ticketDocument(content).blocks, idempotencyKey) } });
    }
    if (content.event === 'resolved') await this.resolve(issueUrl);
  }

  /** Moves the issue to a `done` status unless it already is in one (e.g. closed by hand). */
  private async resolve(issueUrl: string): Promise<void> {
    const issue = await this.call(`${issueUrl}?fields=status`, { method: 'GET' });
    if (issue.body?.fields?.status?.statusCategory?.key === 'done') return;
    const available = await this.call(`${issueUrl}/transitions`, { method: 'GET' });
    const transitions: any[] = Array.isArray(available.body?.transitions) ? available.body.transitions : [];
    const done = transitions.find((transition) => transition?.to?.statusCategory?.key === 'done');
    // Workflows differ; without a transition to done, the comment says it is resolved and a person closes it.
    if (!done || typeof done.id !== 'string') return;
    const response = await this.call(`${issueUrl}/transitions`, { method: 'POST', body: { transition: { id: done.id } } }, [400]);
    if (response.status === 400) {
      throw new AppError(
        'TICKET.JIRA_FAILED',
        `jira refused the transition "${String(done.name ?? done.id)}" (400: ${jiraErrors(response.body)}). The workflow likely asks for a field on that screen; close the issue by hand.`,
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
        `jira answered ${response.status} to ${init.method} ${new URL(url).pathname}: check JIRA_EMAIL and JIRA_API_TOKEN, and that the account may browse, create and comment on issues in project ${this.settings.JIRA_PROJECT_KEY}.`,
      );
    }
    return response;
  }

  private unexpected(what: string): AppError {
    return new AppError('TICKET.JIRA_FAILED', `jira gave an unexpected answer (${what}); check that JIRA_BASE_URL points at the Jira site itself.`);
  }
}

function incidentLabel(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) {
    throw new AppError('TICKET.JIRA_FAILED', 'The incident id has characters that cannot go into a Jira label; this is a bug.');
  }
  return `sspr-incident-${incidentId}`;
}

function markerText(idempotencyKey: string): string {
  return `sspr-remediator ${adfLine(idempotencyKey)}`;
}

function withMarker(blocks: Block[], idempotencyKey: string): AdfDoc {
  return renderAdf([...blocks, { kind: 'paragraph', text: markerText(idempotencyKey) }]);
}

/** All text of an ADF tree, to look for our marker without caring how Jira re-nests it. */
function textOf(node: unknown): string {
  if (typeof node !== 'object' || node === null) return '';
  const { text, content } = node as { text?: unknown; content?: unknown };
  const own = typeof text === 'string' ? text : '';
  return Array.isArray(content) ? own + content.map(textOf).join('\n') : own;
}

/** Jira's field errors ("project: valid project is required"): field names and Jira's own words, no payload. */
function jiraErrors(body: any): string {
  const messages: string[] = Array.isArray(body?.errorMessages) ? body.errorMessages.map(String) : [];
  const fields = typeof body?.errors === 'object' && body.errors !== null ? Object.entries(body.errors).map(([field, message]) => `${field}: ${String(message)}`) : [];
  return [...messages, ...fields].join('; ').slice(0, 500) || 'no detail';
}
