import type { FastifyInstance } from 'fastify';
import type { TicketFakeState } from './ticketFakeState';

/** Routes of the webhook fake. */
export function registerWebhookRoutes(app: FastifyInstance, state: TicketFakeState): void {
  void app;
  void state;
}
