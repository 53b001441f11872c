import { AppError } from '../../errors';
import { RETRYABLE_STATUS } from '../http/retryPolicy';
import type { TicketContent, TicketRef, TicketSink } from '../../usecases/ports/actions';
import { plainTextLine, renderPlainText } from './render/plainText';
import { ticketDocument } from './ticketDocument';
import {
  basicAuth,
  postOnce,
  sinkHttp,
  ticketRequest,
  type TicketHttpOptions,
  type TicketHttpResponse,
} from './ticketHttp';
import { hasLine, INCIDENT_ID, isRecord, TicketSinkOptions, truncate } from './sinkCommon';
import type { ServicenowSettings } from '../../config/tickets';

/**
 * ServiceNow incidents through the Table API (`/api/now/table/incident`), basic auth.
 *
 * - Dedupe key: `correlation_id` = our incident id (`correlation_display` = sspr-remediator), never the title.
 *   It is searched across the whole incident table, so a tenant's routing (its assignment group, set only
 *   on create) never hides a ticket filed under another group: a routing change cannot file it twice.
 * - TicketRef: `id` is the record's `sys_id` (stable; what PATCH needs), `url` opens the form
 *   (`{instance}/nav_to.do?uri=incident.do%3Fsys_id%3D…`). The INC number is for people and is only shown there.
 * - Updates are work notes; `resolved` also sets state 6 (Resolved) with a close code and close notes,
 *   which ServiceNow's data policy requires. Each note ends with the line `<sspr-remediator <key>>`.
 *   renderPlainText turns every `<` of user text into `‹`, so no UPN or approver note can make that
 *   line, and a note counts as written only when its journal has the whole line. The journal (work_notes
 *   display value) is read before the PATCH, which is sent once per attempt and, after a lost answer
 *   (502/503/504, timeout), the journal is read again before it is retried.
 */

const CORRELATION_DISPLAY = 'sspr-remediator';
// Incident `description` is a 4,000-character string field on a stock instance; longer text is cut there.
const DESCRIPTION_LIMIT = 4000;
const SHORT_DESCRIPTION_LIMIT = 160;
const RESOLVED = '6';
const CLOSED_STATES = new Set(['6', '7', '8']);
const SYS_ID = /^[0-9a-f]{32}$/;

interface IncidentRecord {
  sys_id: string;
  number?: string;
}

export class ServicenowSink implements TicketSink {
  readonly system = 'servicenow' as const;
  private readonly base: string;
  private readonly http: TicketHttpOptions;
  /** The tenant's group when its routing names one, else SERVICENOW_ASSIGNMENT_GROUP. */
  private readonly assignmentGroup: string | undefined;

  constructor(
    private readonly settings: ServicenowSettings,
    options: TicketSinkOptions = {},
  ) {
    this.base = settings.SERVICENOW_INSTANCE_URL;
    this.assignmentGroup = options.routing?.assignmentGroup ?? settings.SERVICENOW_ASSIGNMENT_GROUP;
    this.http = sinkHttp(
      'servicenow',
      { Authorization: basicAuth(settings.SERVICENOW_USERNAME, settings.SERVICENOW_PASSWORD) },
      options,
    );
  }

  async find(incidentId: string): Promise<TicketRef | undefined> {
    const query = new URLSearchParams({
      sysparm_query: `correlation_id=${checkIncidentId(incidentId)}`,
      sysparm_limit: '1',
      sysparm_fields: 'sys_id,number,state',
    });
    const response = await this.call(`${this.base}/api/now/table/incident?${query}`, { method: 'GET' });
    const records = response.body?.result;
    if (!Array.isArray(records)) throw this.unexpected('GET /api/now/table/incident');
    return records.length > 0 ? this.ref(records[0]) : undefined;
  }

  async create(content: TicketContent, idempotencyKey: string): Promise<TicketRef> {
    checkIncidentId(content.incidentId);
    const doc = ticketDocument(content);
    const text = `${renderPlainText(doc.blocks)}\n\n${marker(idempotencyKey)}`;
    const body: Record<string, string> = {
      short_description: truncate(plainTextLine(doc.title), SHORT_DESCRIPTION_LIMIT),
      description: truncate(
        text,
        DESCRIPTION_LIMIT,
        '\n… (cut to fit the description field; the full text is in the work notes)',
      ),
      correlation_id: content.incidentId,
      correlation_display: CORRELATION_DISPLAY,
      urgency: '2',
      impact: '2',
    };
    // Journal fields have no length limit, so nothing is lost when the description had to be cut.
    if (text.length > DESCRIPTION_LIMIT) body.work_notes = text;
    if (this.assignmentGroup) body.assignment_group = this.assignmentGroup;

    const post = () =>
      this.call(`${this.base}/api/now/table/incident`, { method: 'POST', body }, [...RETRYABLE_STATUS], 1);
    const outcome = await postOnce(
      post,
      () => this.find(content.incidentId),
      'POST /api/now/table/incident',
      this.http,
    );
    if ('existing' in outcome) return outcome.existing;
    if (!isRecord(outcome.response.body?.result)) throw this.unexpected('POST /api/now/table/incident');
    return this.ref(outcome.response.body.result);
  }

  async update(ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    if (!SYS_ID.test(ticket.id)) {
      throw new AppError(
        'TICKET.SERVICENOW_FAILED',
        `The ServiceNow ticket reference "${ticket.id}" is not a sys_id; it should come from find() or create().`,
      );
    }
    const recordUrl = `${this.base}/api/now/table/incident/${ticket.id}`;
    const note = `${renderPlainText(ticketDocument(content).blocks)}\n\n${marker(idempotencyKey)}`;

    const read = async () => {
      // `all` gives each field as {value, display_value}; the display value of a journal field is its history.
      const current = await this.call(
        `${recordUrl}?${new URLSearchParams({ sysparm_fields: 'state,work_notes', sysparm_display_value: 'all' })}`,
        {
          method: 'GET',
        },
      );
      const fields = current.body?.result;
      if (!isRecord(fields)) throw this.unexpected('GET /api/now/table/incident/{sys_id}');
      // hasLine is false for anything but text; a state that is neither text nor a number is none we know.
      const state = fieldValue(fields.state, 'value');
      return {
        written: hasLine(fieldValue(fields.work_notes, 'display_value'), marker(idempotencyKey)),
        state: typeof state === 'string' || typeof state === 'number' ? String(state) : '',
      };
    };
    const { written, state } = await read();
    if (written) return;

    const patch: Record<string, string> = { work_notes: note };
    // Someone may have resolved or closed it by hand; moving a closed incident back to Resolved would reopen it.
    if (content.event === 'resolved' && !CLOSED_STATES.has(state)) {
      patch.state = RESOLVED;
      patch.close_code = this.settings.SERVICENOW_CLOSE_CODE;
      patch.close_notes =
        'sspr-remediator re-read the authorization policy: allowedToUseSSPR is true, administrators can reset their password again.';
    }
    // A journal entry is appended by every PATCH that carries it: never sent again without looking.
    const send = () => this.call(recordUrl, { method: 'PATCH', body: patch }, [...RETRYABLE_STATUS], 1);
    await postOnce(
      send,
      async () => ((await read()).written ? true : undefined),
      'PATCH /api/now/table/incident/{sys_id}',
      this.http,
    );
  }

  private ref(record: IncidentRecord): TicketRef {
    if (typeof record.sys_id !== 'string' || !SYS_ID.test(record.sys_id))
      throw this.unexpected('incident without a sys_id');
    return {
      system: 'servicenow',
      id: record.sys_id,
      url: `${this.base}/nav_to.do?uri=${encodeURIComponent(`incident.do?sys_id=${record.sys_id}`)}`,
    };
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
        'TICKET.SERVICENOW_FAILED',
        `servicenow answered ${response.status} to ${init.method} ${new URL(url).pathname}: check SERVICENOW_USERNAME and SERVICENOW_PASSWORD, and that the user has the itil role (read and write on incident).`,
      );
    }
    return response;
  }

  private unexpected(what: string): AppError {
    return new AppError(
      'TICKET.SERVICENOW_FAILED',
      `servicenow gave an unexpected answer (${what}); check that SERVICENOW_INSTANCE_URL points at the instance itself.`,
    );
  }
}

/**
 * The last line of every note and description, so a repeat of the same update can be recognised. It
 * starts with `<`, which renderPlainText never leaves in user text, so user text cannot make this line.
 */
function marker(idempotencyKey: string): string {
  return `<sspr-remediator ${plainTextLine(idempotencyKey)}>`;
}

function checkIncidentId(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) {
    throw new AppError(
      'TICKET.SERVICENOW_FAILED',
      'The incident id has characters that cannot go into a ServiceNow query; this is a bug.',
    );
  }
  return incidentId;
}

function fieldValue(field: unknown, key: 'value' | 'display_value'): unknown {
  return isRecord(field) ? field[key] : field;
}
