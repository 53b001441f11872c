import Fastify, { type FastifyInstance } from 'fastify';

/** What tests and the demo can see and steer in the ticket-system fakes. Extended in this folder. */
export interface TicketFakes {
  /** Every request received by any ticket fake, in order. */
  requests: Array<{ system: string; method: string; path: string; status: number; headers: Record<string, string>; body: unknown }>;
}

/** Fakes of ServiceNow, Jira Cloud, Azure DevOps, GitHub Issues and a generic webhook receiver. */
export function buildTicketServer(tls: { key: string; cert: string }): { app: FastifyInstance; fakes: TicketFakes } {
  const app = Fastify({ https: tls, logger: false, forceCloseConnections: true }) as unknown as FastifyInstance;
  return { app, fakes: { requests: [] } };
}
