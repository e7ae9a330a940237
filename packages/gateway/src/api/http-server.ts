// Builds the HTTP server of the control plane: Fastify with pino logging, strict bodies, metrics.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AuditLog } from '../audit/index.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerGrantRoutes } from './grant-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerIdentityRoutes } from './identity-routes.js';
import { parseJsonKeepingRaw } from './raw-json-body.js';
import { errorBody, handleError } from './http-errors.js';
import { createMetrics } from './metrics.js';

export interface HttpServerDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  /** Public base URL of this server (the issuer URL): proofs name URLs under it. */
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  readonly logger: FastifyBaseLogger;
}

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(errorBody('not-found', 'no such route')),
  );
  const metrics = createMetrics(app, deps.audit);
  registerHealthRoutes(app, deps.store, metrics);
  parseJsonKeepingRaw(app);
  registerAuditRoutes(app, deps.audit);
  registerIdentityRoutes(app, deps.identity, deps.publicUrl);
  registerGrantRoutes(app, deps.grants, deps.identity, deps.publicUrl);
  return app;
}
