// Public face of api/: the HTTP server of the control plane.
export { buildHttpServer } from './http-server.js';
export type { HttpServerDeps } from './http-server.js';
