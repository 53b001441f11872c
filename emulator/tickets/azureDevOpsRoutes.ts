import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdoComment, AdoWorkItem, FakeAnswer, FakeRequest, TicketFakeState } from './ticketFakeState';
import { SECRET_MARKER } from '../tokens';

/** The organisation, first project (state.azureDevOps.projects lists them all) and personal access token the Azure DevOps fake accepts. */
export const ADO_EMULATOR_ORG = 'contoso';
export const ADO_EMULATOR_PROJECT = 'Identity';
export const ADO_EMULATOR_PAT = `${SECRET_MARKER}ado-pat`;

const SYSTEM = 'azuredevops';

/** Work item types of the Basic process (plus two Agile ones) and the states each may take. */
const TYPE_STATES: Record<string, string[]> = {
  issue: ['To Do', 'Doing', 'Done'],
  task: ['To Do', 'Doing', 'Done'],
  epic: ['To Do', 'Doing', 'Done'],
  bug: ['New', 'Active', 'Resolved', 'Closed'],
  'user story': ['New', 'Active', 'Resolved', 'Closed'],
};
const TYPE_NAMES: Record<string, string> = {
  issue: 'Issue',
  task: 'Task',
  epic: 'Epic',
  bug: 'Bug',
  'user story': 'User Story',
};

type Answer = FakeAnswer;

/**
 * Azure DevOps Services REST 7.1 fake under /ado/{org}/{project}/_apis/wit/…: WIQL (evaluated, not
 * canned), work item create/get/update (JSON Patch) and the work item comments API (7.1-preview.4).
 * Paths are matched without regard to case, like Azure DevOps does (`workitems` and `workItems`).
 * Honours failNext, loseNextAnswers and loseNextAnswersTo ('azuredevops'); scripted errors come in ADO's shape.
 */
export function registerAzureDevOpsRoutes(app: FastifyInstance, state: TicketFakeState): void {
  app.addContentTypeParser('application/json-patch+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  app.route({
    method: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    url: '/*',
    // The shared path scripts failures and lost answers (failNext, loseNextAnswers) and logs the request.
    handler: async (request, reply) => {
      const answer = state.answer(SYSTEM, request, {
        authorize,
        handle: () => state.loseAnswerIfScripted(SYSTEM, request.method, handle(request, state)),
      });
      return send(reply, adoShaped(answer));
    },
  });
}

function authorize(request: FakeRequest): Answer | undefined {
  // Azure DevOps answers a bad or missing PAT with 401 and no body.
  const header = request.headers.authorization;
  if (authorized(typeof header === 'string' ? header : undefined)) return undefined;
  return { status: 401, headers: { 'www-authenticate': 'Basic realm="https://dev.azure.com/"' } };
}

/** A scripted failure in Azure DevOps' error shape (`{message, typeKey, …}`), so the sink sees what it would see. */
function adoShaped(answer: FakeAnswer): FakeAnswer {
  const scripted = (answer.body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof scripted !== 'string') return answer;
  return { ...answer, body: error(answer.status, `${scripted} (emulator).`).body };
}

function handle(request: FastifyRequest, state: TicketFakeState): Answer {
  const url = new URL(request.url, 'https://emulator.invalid');
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .filter(Boolean)
      .slice(1) // the /ado prefix
      .map((segment) => decodeURIComponent(segment));
  } catch {
    return error(400, `The path ${url.pathname} is not valid.`);
  }
  const [org, project, apis, wit, ...rest] = segments;
  if (org !== ADO_EMULATOR_ORG)
    return error(
      404,
      `TF400813: The organization '${org ?? ''}' does not exist or you do not have access to it.`,
    );
  if (
    !state.azureDevOps.projects.includes(project ?? '') ||
    apis?.toLowerCase() !== '_apis' ||
    wit?.toLowerCase() !== 'wit'
  ) {
    return error(
      404,
      `VS800075: The project with id '${project ?? ''}' does not exist, or you do not have permission to access it.`,
    );
  }
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) {
    return error(
      400,
      `No api-version was supplied for the "${request.method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. '?api-version=1.0').`,
    );
  }
  const origin = `https://${request.headers.host ?? 'emulator.invalid'}`;
  const lower = rest.map((segment) => segment.toLowerCase());
  const body = request.body;

  if (request.method === 'POST' && lower.length === 1 && lower[0] === 'wiql')
    return wiql(state, body, project, origin);

  if (lower[0] !== 'workitems')
    return error(404, `The resource ${url.pathname} does not exist in the emulator.`);
  if (request.method === 'POST' && rest.length === 2 && rest[1].startsWith('$')) {
    return createWorkItem(state, request, rest[1].slice(1), project, origin);
  }
  const id = Number(rest[1]);
  if (!Number.isInteger(id) || id <= 0)
    return error(400, `VS402328: '${rest[1] ?? ''}' is not a valid work item id.`);
  const item = state.azureDevOps.workItems.find(
    (candidate) => candidate.id === id && candidate.project === project,
  );
  if (!item)
    return error(404, `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`);

  if (lower.length === 2 && request.method === 'GET')
    return { status: 200, body: workItemJson(item, origin) };
  if (lower.length === 2 && request.method === 'PATCH') {
    if (!isJsonPatch(request)) return unsupportedMediaType();
    const problem = applyPatch(item, body);
    if (problem) return problem;
    item.rev += 1;
    item.fields['System.ChangedDate'] = new Date().toISOString();
    return { status: 200, body: workItemJson(item, origin) };
  }
  if (lower.length === 3 && lower[2] === 'comments') {
    // The comments API is a preview API: without -preview Azure DevOps refuses the request.
    if (!/-preview(\.\d+)?$/.test(apiVersion)) {
      return error(
        400,
        `The requested version "${apiVersion}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${apiVersion}-preview"`,
      );
    }
    if (request.method === 'POST') {
      const text = (body as { text?: unknown } | null)?.text;
      if (typeof text !== 'string' || text.trim() === '')
        return error(400, 'VS403453: Comment text cannot be empty.');
      const comment: AdoComment = {
        id: state.azureDevOps.nextCommentId++,
        text,
        createdDate: new Date().toISOString(),
      };
      item.comments.push(comment);
      item.fields['System.CommentCount'] = item.comments.length;
      return { status: 200, body: commentJson(item, comment, origin) };
    }
    if (request.method === 'GET') {
      const top = Math.min(Number(url.searchParams.get('$top') ?? 200) || 200, 200);
      const start = Number(url.searchParams.get('continuationToken') ?? 0) || 0;
      const page = item.comments.slice(start, start + top);
      const more = start + top < item.comments.length;
      return {
        status: 200,
        body: {
          totalCount: item.comments.length,
          count: page.length,
          comments: page.map((comment) => commentJson(item, comment, origin)),
          ...(more ? { continuationToken: String(start + top) } : {}),
        },
      };
    }
  }
  return error(405, `The requested resource does not support http method '${request.method}'.`);
}

/**
 * Evaluates the WIQL subset the sink sends: `SELECT [fields] FROM WorkItems WHERE c1 AND c2 …`
 * where each condition is `[Field] = @project`, `[Field] = 'text'` or `[Field] CONTAINS 'text'`.
 * CONTAINS is a case-insensitive substring test, as Azure DevOps applies it to tags.
 */
function wiql(state: TicketFakeState, body: unknown, project: string, origin: string): Answer {
  const query = (body as { query?: unknown } | null)?.query;
  if (typeof query !== 'string')
    return error(400, 'VS402337: The WIQL query is missing. Send {"query": "SELECT …"}.');
  const match = /^\s*SELECT\s+(.+?)\s+FROM\s+WorkItems(?:\s+WHERE\s+(.+?))?\s*$/is.exec(query);
  if (!match)
    return error(
      400,
      `TF51005: The query references a field or clause the emulator does not understand: ${query}`,
    );
  const conditions: Array<(item: AdoWorkItem) => boolean> = [];
  for (const clause of match[2] ? splitAnd(match[2]) : []) {
    const parsed = /^\[([\w.]+)\]\s*(=|CONTAINS)\s*(@project|'((?:[^']|'')*)')$/i.exec(clause.trim());
    if (!parsed)
      return error(400, `TF51006: The query clause is not supported by the emulator: ${clause.trim()}`);
    const [, field, operator, operand, literal] = parsed;
    const value = operand.toLowerCase() === '@project' ? project : literal.replace(/''/g, "'");
    const contains = operator.toUpperCase() === 'CONTAINS';
    conditions.push((item) => {
      const actual = String(item.fields[field] ?? '').toLowerCase();
      return contains ? actual.includes(value.toLowerCase()) : actual === value.toLowerCase();
    });
  }
  const hits = state.azureDevOps.workItems.filter((item) => conditions.every((condition) => condition(item)));
  return {
    status: 200,
    body: {
      queryType: 'flat',
      queryResultType: 'workItem',
      asOf: new Date().toISOString(),
      columns: [
        {
          referenceName: 'System.Id',
          name: 'ID',
          url: `${origin}/ado/${ADO_EMULATOR_ORG}/_apis/wit/fields/System.Id`,
        },
      ],
      workItems: hits.map((item) => ({ id: item.id, url: apiUrl(item, origin) })),
    },
  };
}

/** Splits on AND outside quoted literals. */
function splitAnd(where: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < where.length; i++) {
    if (where[i] === "'") quoted = !quoted;
    if (!quoted && /^\sAND\s/i.test(where.slice(i, i + 5))) {
      parts.push(current);
      current = '';
      i += 4;
      continue;
    }
    current += where[i];
  }
  parts.push(current);
  return parts;
}

function createWorkItem(
  state: TicketFakeState,
  request: FastifyRequest,
  typeName: string,
  project: string,
  origin: string,
): Answer {
  const type = typeName.toLowerCase();
  if (!TYPE_STATES[type])
    return error(
      404,
      `VS402323: Work item type ${typeName} does not exist in project ${project} or you do not have permission to access it.`,
    );
  if (!isJsonPatch(request)) return unsupportedMediaType();
  // The id is taken only once the item is valid, so a refused create leaves no gap.
  const item: AdoWorkItem = {
    id: 0,
    rev: 1,
    project,
    fields: {
      'System.TeamProject': project,
      'System.WorkItemType': TYPE_NAMES[type],
      'System.State': TYPE_STATES[type][0],
      'System.CreatedDate': new Date().toISOString(),
      'System.CommentCount': 0,
    },
    comments: [],
  };
  const problem = applyPatch(item, request.body);
  if (problem) return problem;
  if (typeof item.fields['System.Title'] !== 'string' || item.fields['System.Title'].trim() === '') {
    return error(
      400,
      'TF401320: Rule Error for field Title. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.',
    );
  }
  item.id = state.azureDevOps.nextId++;
  state.azureDevOps.workItems.push(item);
  return { status: 200, body: workItemJson(item, origin) };
}

/** Applies `add`/`replace` operations on /fields/…; tags are normalised the way Azure DevOps stores them. */
function applyPatch(item: AdoWorkItem, body: unknown): Answer | undefined {
  if (!Array.isArray(body) || body.length === 0) {
    return error(400, 'VS403406: You must pass a valid patch document in the body of the request.');
  }
  const fields = { ...item.fields };
  for (const operation of body as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
    const path = typeof operation?.path === 'string' ? operation.path : '';
    if ((operation?.op !== 'add' && operation?.op !== 'replace') || !path.startsWith('/fields/')) {
      return error(
        400,
        `VS403406: The emulator supports only add/replace on /fields/…, not ${JSON.stringify(operation)}.`,
      );
    }
    const field = path.slice('/fields/'.length);
    let value = operation.value;
    if (field === 'System.Tags' && typeof value === 'string') {
      value = [
        ...new Set(
          value
            .split(';')
            .map((tag) => tag.trim())
            .filter(Boolean),
        ),
      ].join('; ');
    }
    if (field === 'System.State') {
      const allowed = TYPE_STATES[String(fields['System.WorkItemType']).toLowerCase()] ?? [];
      if (typeof value !== 'string' || !allowed.includes(value)) {
        return error(
          400,
          `TF401320: Rule Error for field State. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty. The value '${String(value)}' is not one of ${allowed.join(', ')}.`,
        );
      }
    }
    fields[field] = value;
  }
  Object.assign(item.fields, fields);
  return undefined;
}

function workItemJson(item: AdoWorkItem, origin: string): unknown {
  return {
    id: item.id,
    rev: item.rev,
    fields: item.fields,
    _links: {
      self: { href: apiUrl(item, origin) },
      html: {
        href: `${origin}/ado/${ADO_EMULATOR_ORG}/${encodeURIComponent(item.project)}/_workitems/edit/${item.id}`,
      },
    },
    url: apiUrl(item, origin),
  };
}

function commentJson(item: AdoWorkItem, comment: AdoComment, origin: string): unknown {
  return {
    workItemId: item.id,
    id: comment.id,
    version: 1,
    text: comment.text,
    createdDate: comment.createdDate,
    url: `${apiUrl(item, origin)}/comments/${comment.id}`,
  };
}

function apiUrl(item: AdoWorkItem, origin: string): string {
  return `${origin}/ado/${ADO_EMULATOR_ORG}/${encodeURIComponent(item.project)}/_apis/wit/workItems/${item.id}`;
}

function authorized(header: string | undefined): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // Azure DevOps ignores the user name of a PAT credential; only the password part counts.
  return decoded.slice(decoded.indexOf(':') + 1) === ADO_EMULATOR_PAT && decoded.includes(':');
}

function isJsonPatch(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json-patch+json');
}

function unsupportedMediaType(): Answer {
  return error(
    415,
    'VS403413: The request indicated a Content-Type of application/json; for work items use application/json-patch+json.',
  );
}

function error(status: number, message: string): Answer {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: 'Microsoft.VisualStudio.Services.WebApi.VssServiceException',
      typeKey: 'VssServiceException',
      errorCode: 0,
      eventId: 3000,
    },
  };
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (answer.body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
}
