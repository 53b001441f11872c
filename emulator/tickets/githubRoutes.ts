import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FakeAnswer, FakeRequest, GithubComment, GithubIssue, TicketFakeState } from './ticketFakeState';
import { SECRET_MARKER } from '../tokens';

/** The token the GitHub fake accepts (any owner/repo). */
export const GITHUB_EMULATOR_TOKEN = `${SECRET_MARKER}github-token`;

const SYSTEM = 'github';
const API_VERSION = '2022-11-28';
const DOCS = 'https://docs.github.com/rest';

type Answer = FakeAnswer;

/**
 * GitHub REST issues fake under /github/repos/{owner}/{repo}/issues…: list (label and state filters,
 * newest first, `Link` pagination), create, get, update, add labels, and issue comments (create, list).
 * A `failNext('github', 403, …)` answers as GitHub's primary rate limit does: 403 with
 * `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (now + retryAfterSeconds, default 1 s), no Retry-After.
 * loseNextAnswers and loseNextAnswersTo ('github') are honoured too.
 */
export function registerGithubRoutes(app: FastifyInstance, state: TicketFakeState): void {
  app.route({
    method: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    url: '/*',
    // The shared path scripts failures and lost answers (failNext, loseNextAnswers) and logs the request.
    handler: async (request, reply) => {
      const answer = state.answer(SYSTEM, request, {
        authorize,
        handle: () => state.loseAnswerIfScripted(SYSTEM, request.method, handle(request, state)),
      });
      return send(reply, githubShaped(answer));
    },
  });
}

function authorize(request: FakeRequest): Answer | undefined {
  if (!request.headers['user-agent']) {
    // GitHub refuses requests without a User-Agent.
    return {
      status: 403,
      body: {
        message:
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
        documentation_url: DOCS,
      },
    };
  }
  const header = request.headers.authorization;
  if (!authorized(typeof header === 'string' ? header : undefined))
    return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } };
  const version = request.headers['x-github-api-version'];
  if (version !== undefined && version !== API_VERSION) {
    return {
      status: 400,
      body: { message: `API version '${String(version)}' is not supported.`, documentation_url: DOCS },
    };
  }
  return undefined;
}

function handle(request: FastifyRequest, state: TicketFakeState): Answer {
  const url = new URL(request.url, 'https://emulator.invalid');
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .filter(Boolean)
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    return notFound();
  }
  const [repos, owner, repo, issuesSegment, numberText, commentsSegment, ...extra] = segments;
  if (repos !== 'repos' || !owner || !repo || issuesSegment !== 'issues' || extra.length > 0)
    return notFound();
  const apiBase = `https://${request.headers.host ?? 'emulator.invalid'}/github`;
  const context = { state, owner, repo, apiBase, url };
  const body = (request.body ?? {}) as Record<string, unknown>;

  if (numberText === undefined) {
    if (request.method === 'GET') return listIssues(context);
    if (request.method === 'POST') return createIssue(context, body);
    return notFound();
  }
  const issue = state.github.issues.find(
    (candidate) => sameRepo(candidate, owner, repo) && String(candidate.number) === numberText,
  );
  if (!issue) return notFound();
  if (commentsSegment === undefined) {
    if (request.method === 'GET') return { status: 200, body: issueJson(issue, apiBase) };
    if (request.method === 'PATCH') return updateIssue(issue, body, apiBase);
    return notFound();
  }
  if (commentsSegment === 'labels' && request.method === 'POST') {
    // Adds labels (body `{labels: [...]}`) and answers the issue's labels; here a dropped label is refused too.
    if (state.github.dropLabelsOnCreate) {
      return {
        status: 403,
        body: { message: 'Resource not accessible by personal access token', documentation_url: DOCS },
      };
    }
    const added = Array.isArray(body.labels)
      ? body.labels.filter((label): label is string => typeof label === 'string')
      : [];
    issue.labels = [...new Set([...issue.labels, ...added])];
    return { status: 200, body: (issueJson(issue, apiBase) as { labels: unknown }).labels };
  }
  if (commentsSegment !== 'comments') return notFound();
  if (request.method === 'POST') {
    if (typeof body.body !== 'string' || body.body === '') return validationFailed('IssueComment', 'body');
    const comment: GithubComment = {
      id: state.github.nextCommentId++,
      body: body.body,
      createdAt: new Date().toISOString(),
    };
    issue.comments.push(comment);
    issue.updatedAt = comment.createdAt;
    return { status: 201, body: commentJson(issue, comment, apiBase) };
  }
  if (request.method === 'GET') {
    return page(
      url,
      apiBase,
      issue.comments.map((comment) => commentJson(issue, comment, apiBase)),
    );
  }
  return notFound();
}

interface RepoContext {
  state: TicketFakeState;
  owner: string;
  repo: string;
  apiBase: string;
  url: URL;
}

function listIssues({ state, owner, repo, apiBase, url }: RepoContext): Answer {
  const wanted = (url.searchParams.get('labels') ?? '')
    .split(',')
    .map((label) => label.trim().toLowerCase())
    .filter(Boolean);
  const stateFilter = url.searchParams.get('state') ?? 'open';
  if (!['open', 'closed', 'all'].includes(stateFilter)) return validationFailed('Issue', 'state');
  const hits = state.github.issues
    .filter((issue) => sameRepo(issue, owner, repo))
    .filter((issue) => stateFilter === 'all' || issue.state === stateFilter)
    .filter((issue) => wanted.every((label) => issue.labels.some((name) => name.toLowerCase() === label)))
    // GitHub's default order: newest first.
    .sort((a, b) => b.number - a.number);
  return page(
    url,
    apiBase,
    hits.map((issue) => issueJson(issue, apiBase)),
  );
}

/** One page of a list, with GitHub's `Link` header (next, last, first, prev) when there is more than one page. */
function page(url: URL, apiBase: string, all: unknown[]): Answer {
  const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
  const pageNumber = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const link = (n: number, rel: string) => {
    const target = new URL(`${apiBase}${url.pathname.replace(/^\/github/, '')}`);
    url.searchParams.forEach((value, key) => target.searchParams.set(key, value));
    target.searchParams.set('page', String(n));
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber < lastPage) links.push(link(pageNumber + 1, 'next'), link(lastPage, 'last'));
  if (pageNumber > 1) links.push(link(1, 'first'), link(pageNumber - 1, 'prev'));
  return { status: 200, body: items, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

function createIssue({ state, owner, repo, apiBase }: RepoContext, body: Record<string, unknown>): Answer {
  if (typeof body.title !== 'string' || body.title.trim() === '') return validationFailed('Issue', 'title');
  if (body.body !== undefined && body.body !== null && typeof body.body !== 'string')
    return validationFailed('Issue', 'body');
  const labels = Array.isArray(body.labels)
    ? body.labels
        .map((label) =>
          typeof label === 'string' ? label : String((label as { name?: unknown })?.name ?? ''),
        )
        .filter(Boolean)
    : [];
  const now = new Date().toISOString();
  const issue: GithubIssue = {
    id: state.github.nextId++,
    owner,
    repo,
    number: state.github.issues.filter((candidate) => sameRepo(candidate, owner, repo)).length + 1,
    title: body.title,
    body: (body.body as string | undefined) ?? null,
    state: 'open',
    stateReason: null,
    labels: state.github.dropLabelsOnCreate ? [] : [...new Set(labels)],
    comments: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
  };
  state.github.issues.push(issue);
  return { status: 201, body: issueJson(issue, apiBase) };
}

function updateIssue(issue: GithubIssue, body: Record<string, unknown>, apiBase: string): Answer {
  if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed')
    return validationFailed('Issue', 'state');
  if (
    body.state_reason !== undefined &&
    body.state_reason !== null &&
    !['completed', 'not_planned', 'reopened'].includes(String(body.state_reason))
  ) {
    return validationFailed('Issue', 'state_reason');
  }
  if (typeof body.title === 'string') issue.title = body.title;
  if (typeof body.body === 'string') issue.body = body.body;
  const now = new Date().toISOString();
  if (body.state === 'closed' && issue.state !== 'closed') {
    issue.state = 'closed';
    issue.closedAt = now;
    issue.stateReason = (body.state_reason as string | undefined) ?? 'completed';
  } else if (body.state === 'open' && issue.state !== 'open') {
    issue.state = 'open';
    issue.closedAt = null;
    issue.stateReason = 'reopened';
  } else if (body.state_reason !== undefined) {
    issue.stateReason = body.state_reason as string | null;
  }
  issue.updatedAt = now;
  return { status: 200, body: issueJson(issue, apiBase) };
}

function issueJson(issue: GithubIssue, apiBase: string): unknown {
  const repoUrl = `${apiBase}/repos/${issue.owner}/${issue.repo}`;
  return {
    id: issue.id,
    node_id: `I_emulator${issue.id}`,
    url: `${repoUrl}/issues/${issue.number}`,
    repository_url: repoUrl,
    comments_url: `${repoUrl}/issues/${issue.number}/comments`,
    html_url: htmlUrl(issue, apiBase),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    state_reason: issue.stateReason,
    labels: issue.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })),
    comments: issue.comments.length,
    user: { login: 'sspr-remediator[bot]', type: 'Bot' },
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
  };
}

function commentJson(issue: GithubIssue, comment: GithubComment, apiBase: string): unknown {
  return {
    id: comment.id,
    node_id: `IC_emulator${comment.id}`,
    url: `${apiBase}/repos/${issue.owner}/${issue.repo}/issues/comments/${comment.id}`,
    html_url: `${htmlUrl(issue, apiBase)}#issuecomment-${comment.id}`,
    issue_url: `${apiBase}/repos/${issue.owner}/${issue.repo}/issues/${issue.number}`,
    body: comment.body,
    user: { login: 'sspr-remediator[bot]', type: 'Bot' },
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
  };
}

/** Where a person would open the issue; the fake has no web UI, so this is only a stable address. */
function htmlUrl(issue: GithubIssue, apiBase: string): string {
  return `${apiBase}/${issue.owner}/${issue.repo}/issues/${issue.number}`;
}

function sameRepo(issue: GithubIssue, owner: string, repo: string): boolean {
  // GitHub treats owner and repository names case-insensitively.
  return issue.owner.toLowerCase() === owner.toLowerCase() && issue.repo.toLowerCase() === repo.toLowerCase();
}

/**
 * A scripted failure in GitHub's shape. A 403 is GitHub's primary rate limit: no Retry-After, but
 * `x-ratelimit-remaining: 0` and `x-ratelimit-reset` = now + the scripted Retry-After (default 1 s).
 */
function githubShaped(answer: FakeAnswer): FakeAnswer {
  const scripted = (answer.body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof scripted !== 'string') return answer;
  const retryAfter = Object.entries(answer.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'retry-after',
  )?.[1];
  return scriptedFailure(answer.status, retryAfter === undefined ? undefined : Number(retryAfter));
}

function scriptedFailure(status: number, retryAfterSeconds: number | undefined): Answer {
  if (status === 403) {
    const reset = Math.ceil(Date.now() / 1000) + (retryAfterSeconds ?? 1);
    return {
      status,
      body: {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
      },
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-resource': 'core',
      },
    };
  }
  return {
    status,
    body: { message: `The emulator was told to fail this request with ${status}.`, documentation_url: DOCS },
    headers: retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {},
  };
}

function validationFailed(resource: string, field: string): Answer {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource, code: 'missing_field', field }],
      documentation_url: DOCS,
    },
  };
}

function notFound(): Answer {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
}

function authorized(header: string | undefined): boolean {
  // GitHub accepts both `Bearer` and the older `token` scheme.
  const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(header ?? '');
  return match !== null && match[1] === GITHUB_EMULATOR_TOKEN;
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status);
  reply.header('x-github-api-version-selected', API_VERSION);
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (answer.body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
}
