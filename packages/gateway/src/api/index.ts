// Public face of api/: the HTTP server of the control plane and its access table.
export { buildHttpServer } from './http-server.js';
export type { HttpServerDeps } from './http-server.js';
export { CSRF_HEADER, routeTable, SESSION_COOKIE } from './access-control.js';
export type { RouteEntry } from './access-control.js';
export type { ContainmentControls, KillSwitchTarget } from './incident-routes.js';
export type { PolicyCatalog, PolicyView } from './policy-routes.js';
export type { RouteAccess } from './route-access.js';
