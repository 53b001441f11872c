import type { FastifyInstance } from 'fastify';
import type { TicketFakeState } from './ticketFakeState';

/** Routes of the github fake. */
export function registerGithubRoutes(app: FastifyInstance, state: TicketFakeState): void {
  void app;
  void state;
}
