import Fastify, { type FastifyInstance } from 'fastify';
import type { TenantState } from '../tenantState';

/** Azure Resource Manager fake (Automation jobs). Routes are added in this folder. */
export function buildArmServer(tenant: TenantState, tls: { key: string; cert: string }): FastifyInstance {
  const app = Fastify({ https: tls, logger: false, forceCloseConnections: true }) as unknown as FastifyInstance;
  void tenant;
  return app;
}
