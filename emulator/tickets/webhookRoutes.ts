import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FakeAnswer, FakeRequest, TicketFakeState } from './ticketFakeState';

const SYSTEM = 'webhook';

/**
 * A webhook receiver that does what we ask receivers to do: `POST /webhook/<any path>` with a JSON body,
 * `Idempotency-Key` required, `X-Signature-256: sha256=<hex>` verified against the raw body when
 * `state.webhook.secret` is set (401 on a mismatch), 409 for a key it has already accepted (and no
 * second delivery), 200 otherwise.
 */
export function registerWebhookRoutes(app: FastifyInstance, state: TicketFakeState): void {
  // The signature covers the exact bytes, so this scope keeps the raw body instead of Fastify's parse.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const parsed = parseJson(raw);
    const answer = state.answer(SYSTEM, request, {
      authorize: () => verify(state, request, raw),
      handle: () => deliver(state, request, parsed),
      loggedBody: parsed === undefined ? raw.toString('utf8') : parsed,
    });
    reply.code(answer.status).headers(answer.headers ?? {});
    return reply.send(answer.body);
  };
  app.post('/', handler);
  app.post('/*', handler);
}

function verify(state: TicketFakeState, request: FastifyRequest, raw: Buffer): FakeAnswer | undefined {
  const secret = state.webhook.secret;
  if (!secret) return undefined;
  const sent = Buffer.from(String(request.headers['x-signature-256'] ?? ''), 'utf8');
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`, 'utf8');
  // Constant-time comparison, as a receiver should (timingSafeEqual needs equal lengths first).
  if (sent.length === expected.length && timingSafeEqual(sent, expected)) return undefined;
  return { status: 401, body: { error: 'X-Signature-256 does not match the body.' } };
}

function deliver(state: TicketFakeState, request: FastifyRequest, body: unknown): FakeAnswer {
  const key = header(request, 'idempotency-key');
  if (!key) return { status: 400, body: { error: 'Idempotency-Key header is required.' } };
  if (body === undefined) return { status: 400, body: { error: 'The body is not JSON.' } };
  if (state.webhook.deliveries.some((delivery) => delivery.idempotencyKey === key)) {
    return { status: 409, body: { error: 'Already delivered.', idempotencyKey: key } };
  }
  state.webhook.deliveries.push({
    idempotencyKey: key,
    signature: header(request, 'x-signature-256'),
    body,
    receivedAt: new Date().toISOString(),
  });
  return { status: 200, body: { received: true, idempotencyKey: key } };
}

function header(request: FakeRequest | FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
