import { createHmac } from 'node:crypto';
import { AppError } from '../../errors';
import type { TicketContent, TicketRef, TicketSink } from '../../usecases/ports/actions';
import { plainTextLine, renderPlainText } from './render/plainText';
import { ticketDocument } from './ticketDocument';
import { sinkHttp, ticketRequest, type TicketHttpOptions } from './ticketHttp';
import type { SinkRouting, TicketSinkOptions } from './sinkCommon';
import type { WebhookSettings } from '../../config/tickets';

/**
 * A generic webhook: every ticket event is one `POST TICKET_WEBHOOK_URL` with a JSON body.
 *
 * Headers:
 * - `Idempotency-Key: <key>`: deterministic per incident and event. Receivers must answer a repeat
 *   with 2xx or 409 and act on it once; we retry on 429/5xx and connection errors, so repeats happen.
 * - `X-Signature-256: sha256=<hex>` when TICKET_WEBHOOK_SECRET is set: HMAC-SHA256 with that secret
 *   over the exact bytes of the body (UTF-8), as GitHub does. Verify it on the raw body before parsing,
 *   with a constant-time comparison.
 *
 * Routing (issue 15): a tenant's webhook URL is read at ticket time (from the deployment's Key Vault);
 * when it cannot be read the step fails and nothing is sent anywhere, never to TICKET_WEBHOOK_URL instead.
 * Every event goes to the URL the routing names now, with the same Idempotency-Key, so after a routing
 * change the new receiver gets the updates of a ticket the old one opened.
 *
 * A webhook cannot be queried, so `find()` always answers undefined: exactly-once relies on our
 * journal plus the Idempotency-Key. TicketRef: `id` is the incident id, `url` is only the receiver's
 * origin, because webhook URLs often carry a secret in their path or query (Slack, Teams, Logic Apps)
 * and a TicketRef is stored and shown.
 */

// A header value we can send as is: visible ASCII, no spaces or line breaks that could split the header.
const HEADER_SAFE = /^[\x21-\x7e]{1,255}$/;

/** The JSON every delivery carries. Text is raw (JSON is the escaping); `text` is the plain-text ticket. */
export interface WebhookPayload {
  incidentId: string;
  event: TicketContent['event'];
  tenantId: string;
  cause: TicketContent['cause'];
  userIds: string[];
  admins: Array<{
    userId: string;
    userPrincipalName: string | null;
    roles: string[];
    synced: boolean | null;
  }>;
  /** For `updated`: the admins this event adds. */
  newUserIds: string[];
  policy: TicketContent['policy'];
  disabledBy: TicketContent['disabledBy'];
  remediation: TicketContent['remediation'];
  note: string | null;
  title: string;
  text: string;
}

export class WebhookSink implements TicketSink {
  readonly system = 'webhook' as const;
  private readonly http: TicketHttpOptions;
  private readonly routedUrl: SinkRouting['webhookUrl'];

  constructor(
    private readonly settings: WebhookSettings,
    options: TicketSinkOptions = {},
  ) {
    this.http = sinkHttp('webhook', {}, options);
    this.routedUrl = options.routing?.webhookUrl;
  }

  async find(): Promise<TicketRef | undefined> {
    return undefined;
  }

  async create(content: TicketContent, idempotencyKey: string): Promise<TicketRef> {
    const url = await this.deliver(content, idempotencyKey);
    return { system: 'webhook', id: content.incidentId, url: new URL(url).origin };
  }

  async update(_ticket: TicketRef, content: TicketContent, idempotencyKey: string): Promise<void> {
    await this.deliver(content, idempotencyKey);
  }

  /** Sends the event; answers the URL it went to. */
  private async deliver(content: TicketContent, idempotencyKey: string): Promise<string> {
    if (!HEADER_SAFE.test(idempotencyKey)) {
      throw new AppError(
        'TICKET.WEBHOOK_FAILED',
        'The idempotency key cannot be sent as an HTTP header; this is a bug.',
      );
    }
    // Serialised once: the signature must cover exactly the bytes that are sent.
    const body = JSON.stringify(webhookPayload(content));
    const headers: Record<string, string> = { 'Idempotency-Key': idempotencyKey };
    if (this.settings.TICKET_WEBHOOK_SECRET)
      headers['X-Signature-256'] = signature(this.settings.TICKET_WEBHOOK_SECRET, body);

    const url = this.routedUrl ? await this.routedUrl.read() : this.settings.TICKET_WEBHOOK_URL;
    const named = this.routedUrl?.describe ?? 'TICKET_WEBHOOK_URL';
    let status: number;
    try {
      ({ status } = await ticketRequest(
        url,
        { method: 'POST', body, extraHeaders: headers },
        this.http,
        [401, 403, 409],
      ));
    } catch (err) {
      throw hidePath(err, url, named);
    }
    // 409: the receiver has this Idempotency-Key already, i.e. an earlier attempt was delivered.
    if (status === 401 || status === 403) {
      throw new AppError(
        'TICKET.WEBHOOK_FAILED',
        `The webhook receiver at ${new URL(url).origin} answered ${status}: check that TICKET_WEBHOOK_SECRET matches the receiver's secret and that ${named} is the right endpoint.`,
      );
    }
    return url;
  }
}

export function webhookPayload(content: TicketContent): WebhookPayload {
  const doc = ticketDocument(content);
  return {
    incidentId: content.incidentId,
    event: content.event,
    tenantId: content.tenantId,
    cause: content.cause,
    userIds: content.admins.map((admin) => admin.userId),
    admins: content.admins.map(({ userId, userPrincipalName, roles, synced }) => ({
      userId,
      userPrincipalName,
      roles,
      synced,
    })),
    newUserIds: content.newAdmins.map((admin) => admin.userId),
    policy: content.policy,
    disabledBy: content.disabledBy,
    remediation: content.remediation,
    note: content.note,
    title: plainTextLine(doc.title),
    text: renderPlainText(doc.blocks),
  };
}

/** `sha256=<hex HMAC-SHA256 of the body>`, the value of X-Signature-256. */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Errors from ticketRequest name the request path; a webhook's path may be its secret (Slack, Teams). */
function hidePath(err: unknown, url: string, named: string): unknown {
  const { pathname } = new URL(url);
  if (!(err instanceof AppError) || pathname.length <= 1) return err;
  return new AppError(err.code, err.message.split(pathname).join(`<${named} path>`), {
    ...err.options,
    cause: undefined,
  });
}
