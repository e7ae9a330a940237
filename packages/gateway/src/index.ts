// Public face of the zt4ai package: the composition root and the components' entry points.
export { AuditLog } from './audit/index.js';
export type { LogReport } from './audit/index.js';
export { loadConfig } from './config/index.js';
export type { Config } from './config/index.js';
export { ZtError } from './errors.js';
export type { ZtErrorCode } from './errors.js';
export { openControlPlane } from './server.js';
export type { ControlPlane, GuardInForce, OpenOptions } from './server.js';
