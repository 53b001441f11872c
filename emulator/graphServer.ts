import Fastify, { type FastifyInstance } from 'fastify';
import { registerGraphHooks } from './graphHooks';
import { registerAuditRoutes } from './routes/auditRoutes';
import { registerBatchRoutes } from './routes/batchRoutes';
import { registerPolicyRoutes } from './routes/policyRoutes';
import { registerReportRoutes } from './routes/reportRoutes';
import { registerRoleRoutes } from './routes/roleRoutes';
import { registerUserRoutes } from './routes/userRoutes';
import { SelfDispatcher } from './selfDispatch';
import type { Tenants } from './tenants';

export interface GraphServer {
  app: FastifyInstance;
  /** Tells the $batch dispatcher where the server listens, once it does. */
  listeningOn: (port: number) => void;
}

export function buildGraphServer(tenants: Tenants, tls: { key: string; cert: string }): GraphServer {
  const app = Fastify({
    https: tls,
    logger: false,
    // stop() must not wait for clients that keep connections alive.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  const dispatcher = new SelfDispatcher(tls.cert);
  app.addHook('onClose', async () => dispatcher.close());
  registerGraphHooks(app, tenants);
  registerPolicyRoutes(app, tenants);
  for (const version of ['v1.0', 'beta']) {
    registerAuditRoutes(app, tenants, version);
    registerUserRoutes(app, tenants, version);
    registerRoleRoutes(app, tenants, version);
    registerReportRoutes(app, tenants, version);
    registerBatchRoutes(app, tenants, dispatcher, version);
  }
  return {
    app,
    listeningOn: (port) => {
      dispatcher.port = port;
    },
  };
}
