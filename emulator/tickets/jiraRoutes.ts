import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FakeAnswer, FakeRequest, JiraIssue, TicketFakeState } from './ticketFakeState';
import { SECRET_MARKER } from '../tokens';

/** The account, API token and project the Jira fake accepts (JIRA_EMAIL / JIRA_API_TOKEN / JIRA_PROJECT_KEY). */
export const JIRA_EMULATOR_EMAIL = 'sspr@contoso.com';
export const JIRA_EMULATOR_API_TOKEN = `${SECRET_MARKER}jira-token`;
export const JIRA_EMULATOR_PROJECT = 'SSPR';

const SYSTEM = 'jira';
const API = '/rest/api/3';
const ISSUE_TYPES = ['Task', 'Bug', 'Story', 'Epic'];
/** The stock "software simplified" workflow: any status may move to any other. */
const STATUSES: Array<{ transitionId: string; name: string; category: JiraIssue['status']['category'] }> = [
  { transitionId: '11', name: 'To Do', category: 'new' },
  { transitionId: '21', name: 'In Progress', category: 'indeterminate' },
  { transitionId: '31', name: 'Done', category: 'done' },
];

/**
 * Jira Cloud REST v3 fake: enhanced JQL search (`POST /search/jql`; `project` and `labels` clauses
 * joined by AND are really evaluated, unbounded queries refused as Jira does), issue create/get,
 * comments, transitions, basic auth with e-mail and API token, Jira's error bodies, and a check that
 * descriptions and comments are ADF documents without empty text nodes.
 */
export function registerJiraRoutes(app: FastifyInstance, state: TicketFakeState): void {
  const route =
    (handle: (request: FastifyRequest) => FakeAnswer) =>
    async (request: FastifyRequest, reply: FastifyReply) =>
      send(
        reply,
        state.answer(SYSTEM, request, {
          authorize,
          handle: () => state.loseAnswerIfScripted(SYSTEM, request.method, handle(request)),
        }),
      );
  const withIssue =
    (then: (issue: JiraIssue, request: FastifyRequest) => FakeAnswer) => (request: FastifyRequest) => {
      const { key } = request.params as { key: string };
      const issue = state.jira.issues.find((candidate) => candidate.key === key || candidate.id === key);
      return issue
        ? then(issue, request)
        : errors(404, ['Issue does not exist or you do not have permission to see it.']);
    };
  const base = (request: FastifyRequest) => `https://${request.headers.host ?? 'localhost'}/jira`;

  app.post(
    `${API}/search/jql`,
    route((request) => search(state, request.body, base(request))),
  );
  app.post(
    `${API}/issue`,
    route((request) => create(state, request.body, base(request))),
  );
  app.get(
    `${API}/issue/:key`,
    route(withIssue((issue, request) => ({ status: 200, body: issueView(issue, base(request)) }))),
  );
  app.get(
    `${API}/issue/:key/comment`,
    route(
      withIssue((issue, request) => {
        const { orderBy, maxResults } = request.query as Record<string, string | undefined>;
        const ordered = orderBy === '-created' ? [...issue.comments].reverse() : issue.comments;
        const page = ordered.slice(0, maxResults ? Number(maxResults) : 100);
        return {
          status: 200,
          body: { startAt: 0, maxResults: page.length, total: issue.comments.length, comments: page },
        };
      }),
    ),
  );
  app.post(
    `${API}/issue/:key/comment`,
    route(
      withIssue((issue, request) => {
        const body = (request.body as { body?: unknown } | null)?.body;
        const invalid = adfProblem(body);
        if (invalid) return errors(400, [`INVALID_INPUT: ${invalid}`]);
        const comment = { id: String(state.jira.nextCommentId++), body, created: new Date().toISOString() };
        issue.comments.push(comment);
        return {
          status: 201,
          body: { ...comment, self: `${base(request)}${API}/issue/${issue.id}/comment/${comment.id}` },
        };
      }),
    ),
  );
  app.get(
    `${API}/issue/:key/transitions`,
    route(
      withIssue((issue) => ({
        status: 200,
        body: {
          transitions: STATUSES.filter((status) => status.name !== issue.status.name).map((status) => ({
            id: status.transitionId,
            name: status.name,
            to: { name: status.name, statusCategory: { key: status.category } },
          })),
        },
      })),
    ),
  );
  app.post(
    `${API}/issue/:key/transitions`,
    route(
      withIssue((issue, request) => {
        const id = (request.body as { transition?: { id?: unknown } } | null)?.transition?.id;
        const target = STATUSES.find(
          (status) => status.transitionId === id && status.name !== issue.status.name,
        );
        if (!target) return errors(400, [`Transition id '${String(id)}' is not valid for this issue.`]);
        issue.status = { name: target.name, category: target.category };
        return { status: 204 };
      }),
    ),
  );
}

function authorize(request: FakeRequest): FakeAnswer | undefined {
  const expected = `Basic ${Buffer.from(`${JIRA_EMULATOR_EMAIL}:${JIRA_EMULATOR_API_TOKEN}`).toString('base64')}`;
  if (request.headers.authorization === expected) return undefined;
  return errors(401, ['You are not authenticated. Authentication required to perform this operation.']);
}

function search(state: TicketFakeState, body: unknown, base: string): FakeAnswer {
  const { jql, maxResults, reconcileIssues } = (body ?? {}) as {
    jql?: unknown;
    maxResults?: unknown;
    reconcileIssues?: unknown;
  };
  if (typeof jql !== 'string') return errors(400, ['The JQL query is required.']);
  const parsed = parseJql(jql);
  if (typeof parsed === 'string') return errors(400, [parsed]);
  if (parsed.length === 0)
    return errors(400, [
      'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
    ]);
  if (
    reconcileIssues !== undefined &&
    (!Array.isArray(reconcileIssues) ||
      reconcileIssues.length > 50 ||
      !reconcileIssues.every(Number.isInteger))
  ) {
    return errors(400, ['reconcileIssues must be a list of at most 50 issue ids.']);
  }
  const reconciled = new Set((reconcileIssues as number[] | undefined)?.map(String) ?? []);
  // Eventually consistent, as on Jira Cloud: an issue the index has not caught up with is left out
  // unless the caller names it in reconcileIssues. Every search brings the index one step closer.
  const found = state.jira.issues.filter(
    (issue) =>
      (!issue.hiddenFromSearches || reconciled.has(issue.id)) &&
      parsed.every(([field, value]) =>
        field === 'project' ? issue.projectKey === value : issue.labels.includes(value),
      ),
  );
  for (const issue of state.jira.issues) if (issue.hiddenFromSearches) issue.hiddenFromSearches -= 1;
  const limit = typeof maxResults === 'number' ? maxResults : 50;
  return {
    status: 200,
    body: {
      issues: found.slice(0, limit).map((issue) => issueView(issue, base)),
      isLast: found.length <= limit,
    },
  };
}

/** `project = X AND labels = "y" [ORDER BY …]`: the subset of JQL the emulator evaluates; anything else is refused. */
function parseJql(jql: string): Array<['project' | 'labels', string]> | string {
  const where = jql.replace(/\s+ORDER\s+BY\s+.*$/i, '').trim();
  if (where === '') return [];
  const clauses: Array<['project' | 'labels', string]> = [];
  for (const clause of where.split(/\s+AND\s+/i)) {
    const match = /^(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))$/.exec(clause.trim());
    if (!match)
      return `Error in the JQL Query: the emulator understands only field = value clauses joined by AND (got '${clause}').`;
    const field = match[1].toLowerCase();
    if (field !== 'project' && field !== 'labels')
      return `Field '${match[1]}' is not supported by the emulator's JQL.`;
    clauses.push([field, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]]);
  }
  return clauses;
}

function create(state: TicketFakeState, body: unknown, base: string): FakeAnswer {
  const fields = ((body ?? {}) as { fields?: Record<string, any> }).fields ?? {};
  const problems: Record<string, string> = {};
  const projectKey = fields.project?.key;
  if (typeof projectKey !== 'string' || !state.jira.projects.includes(projectKey))
    problems.project = 'valid project is required';
  if (!ISSUE_TYPES.includes(fields.issuetype?.name)) problems.issuetype = 'Specify a valid issue type';
  if (typeof fields.summary !== 'string' || fields.summary.trim() === '')
    problems.summary = 'You must specify a summary of the issue.';
  else if (/[\r\n]/.test(fields.summary))
    problems.summary = 'The summary is invalid because it contains newline characters.';
  else if (fields.summary.length > 255) problems.summary = 'Summary must be less than 255 characters.';
  const labels: unknown[] = Array.isArray(fields.labels) ? fields.labels : [];
  const badLabel = labels.find(
    (label) => typeof label !== 'string' || /\s/.test(label) || label.length > 255,
  );
  if (badLabel !== undefined)
    problems.labels = `The label '${String(badLabel)}' contains spaces which is invalid.`;
  const invalid = fields.description === undefined ? undefined : adfProblem(fields.description);
  if (invalid)
    problems.description = `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${invalid}`;
  if (Object.keys(problems).length > 0) return { status: 400, body: { errorMessages: [], errors: problems } };

  const id = String(state.jira.nextId++);
  const number = state.jira.issues.filter((issue) => issue.projectKey === projectKey).length + 1;
  const issue: JiraIssue = {
    id,
    key: `${projectKey}-${number}`,
    projectKey,
    summary: fields.summary,
    issueType: fields.issuetype.name,
    description: fields.description ?? null,
    labels: labels as string[],
    status: { name: STATUSES[0].name, category: STATUSES[0].category },
    comments: [],
    created: new Date().toISOString(),
    hiddenFromSearches: state.jira.searchLagRequests,
  };
  state.jira.issues.push(issue);
  return { status: 201, body: { id, key: issue.key, self: `${base}${API}/issue/${id}` } };
}

function issueView(issue: JiraIssue, base: string): Record<string, unknown> {
  return {
    id: issue.id,
    key: issue.key,
    self: `${base}${API}/issue/${issue.id}`,
    fields: {
      summary: issue.summary,
      labels: issue.labels,
      issuetype: { name: issue.issueType },
      status: { name: issue.status.name, statusCategory: { key: issue.status.category } },
    },
  };
}

/** What makes Jira answer INVALID_INPUT: not a version-1 doc, a node without a type, an empty text node. */
function adfProblem(node: unknown, depth = 0): string | undefined {
  if (typeof node !== 'object' || node === null) return 'a node is not an object';
  const { type, version, content, text } = node as {
    type?: unknown;
    version?: unknown;
    content?: unknown;
    text?: unknown;
  };
  if (depth === 0 && (type !== 'doc' || version !== 1)) return 'the root must be {type: "doc", version: 1}';
  if (typeof type !== 'string') return 'a node has no type';
  if (type === 'text' && (typeof text !== 'string' || text === '')) return 'a text node is empty';
  if (content !== undefined) {
    if (!Array.isArray(content)) return `the content of ${type} is not an array`;
    for (const child of content) {
      const problem = adfProblem(child, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

function errors(status: number, errorMessages: string[]): FakeAnswer {
  return { status, body: { errorMessages, errors: {} } };
}

function send(reply: FastifyReply, answer: FakeAnswer): FastifyReply {
  reply.code(answer.status).headers(answer.headers ?? {});
  return answer.body === undefined ? reply.send() : reply.send(answer.body);
}
