// Public face of access/: operator sessions, login links, roles and the access decision.
export { decideOperatorAccess, FIRST_ADMIN, OperatorAccess } from './operator-access.js';
export type {
  OperatorAccessOptions,
  OperatorDirectory,
  OperatorPrincipal,
} from './operator-access.js';
export { loginUrl } from './login-url.js';
export { OIDC_RETRY_AFTER_MS, OIDC_STATE_TTL_SECONDS, OidcLogin } from './oidc-login.js';
export type { ProviderIdentity, StartedLogin } from './oidc-login.js';
export { grantedPermissions, PERMISSIONS, rolesGrant } from './roles.js';
export type { Permission } from './roles.js';
