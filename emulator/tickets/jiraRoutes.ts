import type { FastifyInstance } from 'fastify';
import type { TicketFakeState } from './ticketFakeState';

/** Routes of the jira fake. */
export function registerJiraRoutes(app: FastifyInstance, state: TicketFakeState): void {
  void app;
  void state;
}
