// Public face of grants/: task grants, their triage and approvals, and operators.
export { GrantService } from './grant-service.js';
export type { GrantRequest, ToolKnowledge } from './grant-service.js';
export { matchesPattern, parsePermissionSpec } from './grant-scope.js';
export type { GrantPermission } from './grant-scope.js';
export type { Grant } from './grant-store.js';
export { OPERATOR_ROLES } from './operators.js';
export type { ListedOperator, Operator } from './operators.js';
