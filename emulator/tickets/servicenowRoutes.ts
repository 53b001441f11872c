import type { FastifyInstance } from 'fastify';
import type { TicketFakeState } from './ticketFakeState';

/** Routes of the servicenow fake. */
export function registerServicenowRoutes(app: FastifyInstance, state: TicketFakeState): void {
  void app;
  void state;
}
