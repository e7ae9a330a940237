// Builds the HTTP server of the control plane: Fastify with pino logging, strict bodies, metrics.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/index.js';
import type { Store } from '../store/index.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { errorBody, handleError } from './http-errors.js';
import { createMetrics } from './metrics.js';

export interface HttpServerDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly bodyLimitBytes: number;
  readonly logger: FastifyBaseLogger;
}

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    disableRequestLogging: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(errorBody('not-found', 'no such route')),
  );
  const metrics = createMetrics(app, deps.audit);
  registerHealthRoutes(app, deps.store, metrics);
  registerAuditRoutes(app, deps.audit);
  return app;
}
