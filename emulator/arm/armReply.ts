import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * Resource Manager itself (authentication, authorization, routing, unknown resources) answers in
 * its envelope `{"error":{"code","message"}}`. The Automation resource provider answers its own
 * errors flat, `{"code","message"}` (its swagger's ErrorResponse; e.g. a duplicate jobSchedule is
 * `{"code":"Conflict","message":"A jobSchedule with same id already exists."}`). Clients must read both.
 */
export function sendArmError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return withRequestIds(reply)
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code, message } });
}

export function sendProviderError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return withRequestIds(reply).code(status).type('application/json; charset=utf-8').send({ code, message });
}

export function sendArmJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return withRequestIds(reply)
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

function withRequestIds(reply: FastifyReply): FastifyReply {
  const id = randomUUID();
  return reply.header('x-ms-request-id', id).header('x-ms-correlation-request-id', id);
}
