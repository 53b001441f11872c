import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FakeAnswer, FakeRequest, ServicenowIncident, TicketFakeState } from './ticketFakeState';
import { SECRET_MARKER } from '../tokens';

/** The basic-auth user the ServiceNow fake accepts (SERVICENOW_USERNAME / SERVICENOW_PASSWORD). */
export const SERVICENOW_EMULATOR_USERNAME = 'sspr';
export const SERVICENOW_EMULATOR_PASSWORD = `${SECRET_MARKER}servicenow-password`;

const SYSTEM = 'servicenow';
const INCIDENTS = '/api/now/table/incident';
const STATE_LABELS: Record<string, string> = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};
// Fields a caller may write; the Table API silently ignores any other name, and so does the fake.
const WRITABLE = new Set([
  'short_description',
  'description',
  'correlation_id',
  'correlation_display',
  'urgency',
  'impact',
  'assignment_group',
  'category',
  'caller_id',
  'state',
  'close_code',
  'close_notes',
]);
const JOURNAL = new Set(['work_notes', 'comments']);

/**
 * ServiceNow Table API fake for the incident table: query (sysparm_query with `field=value` terms
 * joined by `^`, really evaluated), create, read, update, basic auth, Table API error bodies, the
 * work notes journal (its history is the display value, as on an instance), and the data policy
 * that a Resolved or Closed incident needs a close code and close notes.
 */
export function registerServicenowRoutes(app: FastifyInstance, state: TicketFakeState): void {
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

  app.get(
    INCIDENTS,
    route((request) => list(state, query(request))),
  );
  app.post(
    INCIDENTS,
    route((request) => create(state, request.body, query(request))),
  );
  app.get(
    `${INCIDENTS}/:sysId`,
    route((request) => withIncident(state, request, (incident) => ok(incident, query(request)))),
  );
  for (const method of ['patch', 'put'] as const) {
    app[method](
      `${INCIDENTS}/:sysId`,
      route((request) =>
        withIncident(state, request, (incident) => update(incident, request.body, query(request))),
      ),
    );
  }
}

function authorize(request: FakeRequest): FakeAnswer | undefined {
  const header = request.headers.authorization;
  const expected = `Basic ${Buffer.from(`${SERVICENOW_EMULATOR_USERNAME}:${SERVICENOW_EMULATOR_PASSWORD}`).toString('base64')}`;
  if (header === expected) return undefined;
  return failure(401, 'User Not Authenticated', 'Required to provide Auth information');
}

function list(state: TicketFakeState, params: Record<string, string>): FakeAnswer {
  const terms = (params.sysparm_query ?? '')
    .split('^')
    .filter((term) => term !== '' && !/^ORDERBY/i.test(term));
  const conditions: Array<[string, string]> = [];
  for (const term of terms) {
    const match = /^([a-z_][a-z0-9_.]*)=(.*)$/i.exec(term);
    // A real instance ignores what it cannot parse and returns every record; the fake refuses, to catch the bug.
    if (!match) return failure(400, 'Unsupported sysparm_query term in the emulator', term);
    conditions.push([match[1], match[2]]);
  }
  const limit = params.sysparm_limit ? Number(params.sysparm_limit) : Infinity;
  const found = state.servicenow.incidents.filter((incident) =>
    conditions.every(([field, value]) => (incident.fields[field] ?? '') === value),
  );
  return { status: 200, body: { result: found.slice(0, limit).map((incident) => view(incident, params)) } };
}

function create(state: TicketFakeState, body: unknown, params: Record<string, string>): FakeAnswer {
  if (!isObject(body))
    return failure(400, 'Exception while reading request', 'The payload is not valid JSON.');
  const now = timestamp();
  const incident: ServicenowIncident = {
    sysId: randomBytes(16).toString('hex'),
    number: `INC${String(state.servicenow.nextNumber++).padStart(7, '0')}`,
    fields: {
      state: '1',
      urgency: '3',
      impact: '3',
      active: 'true',
      sys_created_on: now,
      sys_updated_on: now,
    },
    workNotes: [],
  };
  incident.fields.sys_id = incident.sysId;
  incident.fields.number = incident.number;
  apply(incident, body);
  const closing = closeRule(incident.fields);
  if (closing) return closing;
  state.servicenow.incidents.push(incident);
  return {
    status: 201,
    body: { result: view(incident, params) },
    headers: { Location: `${INCIDENTS}/${incident.sysId}` },
  };
}

function update(incident: ServicenowIncident, body: unknown, params: Record<string, string>): FakeAnswer {
  if (!isObject(body))
    return failure(400, 'Exception while reading request', 'The payload is not valid JSON.');
  const next = { ...incident.fields };
  const draft: ServicenowIncident = { ...incident, fields: next, workNotes: [...incident.workNotes] };
  apply(draft, body);
  const closing = closeRule(next);
  if (closing) return closing;
  incident.fields = next;
  incident.workNotes = draft.workNotes;
  incident.fields.sys_updated_on = timestamp();
  if (next.state === '6' && !next.resolved_at) incident.fields.resolved_at = incident.fields.sys_updated_on;
  if (next.state === '7') incident.fields.active = 'false';
  return ok(incident, params);
}

function apply(incident: ServicenowIncident, body: Record<string, unknown>): void {
  for (const [field, raw] of Object.entries(body)) {
    const value = raw === null || raw === undefined ? '' : String(raw);
    if (JOURNAL.has(field)) {
      if (field === 'work_notes' && value !== '') incident.workNotes.push({ value, createdOn: timestamp() });
    } else if (WRITABLE.has(field)) {
      incident.fields[field] = value;
    }
  }
}

/** The stock data policy: Resolved (6) and Closed (7) need a resolution code and resolution notes. */
function closeRule(fields: Record<string, string>): FakeAnswer | undefined {
  if ((fields.state === '6' || fields.state === '7') && (!fields.close_code || !fields.close_notes)) {
    return failure(
      403,
      'Operation Failed',
      'Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes',
    );
  }
  return undefined;
}

function withIncident(
  state: TicketFakeState,
  request: FastifyRequest,
  then: (incident: ServicenowIncident) => FakeAnswer,
): FakeAnswer {
  const { sysId } = request.params as { sysId: string };
  const incident = state.servicenow.incidents.find((candidate) => candidate.sysId === sysId);
  if (!incident)
    return failure(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
  return then(incident);
}

function ok(incident: ServicenowIncident, params: Record<string, string>): FakeAnswer {
  return { status: 200, body: { result: view(incident, params) } };
}

/** A record as the Table API shows it: `sysparm_fields` picks fields, `sysparm_display_value` true | false | all. */
function view(incident: ServicenowIncident, params: Record<string, string>): Record<string, unknown> {
  const names = params.sysparm_fields
    ? params.sysparm_fields.split(',').map((name) => name.trim())
    : [...Object.keys(incident.fields), 'work_notes'];
  const mode = params.sysparm_display_value ?? 'false';
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = JOURNAL.has(name) ? '' : (incident.fields[name] ?? '');
    const display =
      name === 'work_notes' ? journal(incident) : name === 'state' ? (STATE_LABELS[value] ?? value) : value;
    out[name] = mode === 'all' ? { display_value: display, value } : mode === 'true' ? display : value;
  }
  return out;
}

/** Newest first, each entry headed by its time and author, the way an instance renders journal history. */
function journal(incident: ServicenowIncident): string {
  return [...incident.workNotes]
    .reverse()
    .map((entry) => `${entry.createdOn} - ${SERVICENOW_EMULATOR_USERNAME} (Work notes)\n${entry.value}\n\n`)
    .join('');
}

function failure(status: number, message: string, detail: string): FakeAnswer {
  return { status, body: { error: { message, detail }, status: 'failure' } };
}

function query(request: FastifyRequest): Record<string, string> {
  return request.query as Record<string, string>;
}

function send(reply: FastifyReply, answer: FakeAnswer): FastifyReply {
  reply.code(answer.status).headers(answer.headers ?? {});
  return answer.body === undefined ? reply.send() : reply.send(answer.body);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ServiceNow's `yyyy-MM-dd HH:mm:ss` (UTC here; an instance uses the user's time zone). */
function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}
