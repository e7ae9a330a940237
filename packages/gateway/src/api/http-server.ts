// Builds the HTTP server of the control plane: Fastify with pino logging, strict bodies, metrics,
// operator access control on every route, the governance API and the dashboard.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { OperatorAccess } from '../access/index.js';
import type { OidcLogin } from '../access/index.js';
import type { AuditLog, LogFollower } from '../audit/index.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { installAccessControl } from './access-control.js';
import { ActivityFeed } from './activity-feed.js';
import { registerApprovalRoutes } from './approval-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerContainmentRoutes } from './containment-routes.js';
import { dashboardDir, registerDashboard } from './dashboard-assets.js';
import { registerEventStream } from './event-stream.js';
import { registerFleetRoutes } from './fleet-routes.js';
import { registerGrantRoutes } from './grant-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { type ContainmentControls, registerIncidentRoutes } from './incident-routes.js';
import { registerIdentityRoutes } from './identity-routes.js';
import { type PolicyCatalog, registerPolicyRoutes } from './policy-routes.js';
import { parseJsonKeepingRaw } from './raw-json-body.js';
import { errorBody, handleError } from './http-errors.js';
import { createMetrics } from './metrics.js';
import { registerRouteTableRoute } from './route-table-route.js';
import { registerSessionRoutes } from './session-routes.js';
import { endSilentSocketsOnClose } from './silent-sockets.js';

export interface HttpServerDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  /** Public base URL of this server (the issuer URL): proofs name URLs under it. */
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  readonly logger: FastifyBaseLogger;
  /** Operator sessions and login links; by default over the same store and operators. */
  readonly access?: OperatorAccess;
  /** Operator single sign-on (access/oidc-login.ts); none: login links only. */
  readonly oidc?: OidcLogin;
  /** false: login links are turned off (single sign-on only). */
  readonly loginLinks?: boolean;
  /** The policies in force, for the policy pages; without it those routes are not offered. */
  readonly policies?: PolicyCatalog;
  /** Incidents and kill switches; without it those routes are not offered. */
  readonly containment?: ContainmentControls;
  /** Configured LLM budgets, shown beside their usage. */
  readonly budgets?: readonly unknown[];
  /** The dashboard's build directory; by default the installed @zt4ai/dashboard, `false` for none. */
  readonly dashboard?: string | false;
  readonly now?: () => Date;
}

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // No implicit HEAD twin for every GET: each route is one the access table lists on purpose.
    exposeHeadRoutes: false,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(errorBody('not-found', 'no such route')),
  );
  const access =
    deps.access ??
    new OperatorAccess({ store: deps.store, operators: deps.grants.operators, audit: deps.audit });
  installAccessControl(app, access);
  endSilentSocketsOnClose(app);
  const metrics = createMetrics(app, deps.audit);
  registerHealthRoutes(app, deps.store, metrics);
  parseJsonKeepingRaw(app);
  registerAuditRoutes(app, deps.audit);
  registerIdentityRoutes(app, deps.identity, deps.publicUrl);
  registerGrantRoutes(app, deps.grants, deps.identity, deps.publicUrl);
  registerGovernance(app, deps, access);
  return app;
}

/** The governance API over a live activity feed, and the dashboard that uses it. */
function registerGovernance(
  app: FastifyInstance,
  deps: HttpServerDeps,
  access: OperatorAccess,
): void {
  const feed = new ActivityFeed();
  let following: LogFollower | undefined;
  app.addHook('onReady', async () => {
    following = await feed.follow(deps.audit, (err) =>
      deps.logger.error({ err }, 'activity feed failed'),
    );
  });
  app.addHook('onClose', async () => following?.stop());
  registerSessionRoutes(app, access, {
    publicUrl: deps.publicUrl,
    oidc: deps.oidc,
    loginLinks: deps.loginLinks !== false,
  });
  registerRouteTableRoute(app);
  registerEventStream(app, feed);
  registerFleetRoutes(app, {
    store: deps.store,
    identity: deps.identity,
    grants: deps.grants,
    feed,
    budgets: deps.budgets ?? [],
    now: deps.now ?? (() => new Date()),
  });
  registerApprovalRoutes(app, deps.store, deps.grants);
  registerContainmentRoutes(app, deps.identity);
  if (deps.policies !== undefined) registerPolicyRoutes(app, deps.policies);
  if (deps.containment !== undefined) registerIncidentRoutes(app, deps.containment);
  const dir = deps.dashboard === undefined ? dashboardDir() : deps.dashboard;
  if (dir !== false && dir !== undefined) registerDashboard(app, dir);
}
