import type { FastifyInstance } from 'fastify';
import type { TicketFakeState } from './ticketFakeState';

/** Routes of the azureDevOps fake. */
export function registerAzureDevOpsRoutes(app: FastifyInstance, state: TicketFakeState): void {
  void app;
  void state;
}
