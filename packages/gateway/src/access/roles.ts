// What each operator role may do. A permission names one kind of operator action; a route declares
// the one it needs, and a session passes only when one of its roles grants it.
import type { OperatorRole } from '../store/index.js';

export type Permission =
  /** Fleet, activity, costs, approvals queue, incidents and policies: everything but the log. */
  | 'fleet:read'
  /** Audit entries, proofs and checkpoints; testing an input against the policies. */
  | 'audit:read'
  /** Approving and denying grant requests. */
  | 'approvals:decide'
  /** Quarantine, release, kill switches and incidents. */
  | 'containment:act'
  /** Operators and their login links; metrics and readiness. */
  | 'operators:manage';

export const PERMISSIONS: readonly Permission[] = [
  'fleet:read',
  'audit:read',
  'approvals:decide',
  'containment:act',
  'operators:manage',
];

const GRANTED: Readonly<Record<OperatorRole, readonly Permission[]>> = {
  admin: PERMISSIONS,
  approver: ['fleet:read', 'approvals:decide'],
  auditor: ['fleet:read', 'audit:read'],
  viewer: ['fleet:read'],
};

/** True when one of `roles` grants `permission`; an unknown role grants nothing. */
export function rolesGrant(roles: readonly string[], permission: Permission): boolean {
  return roles.some((role) => GRANTED[role as OperatorRole]?.includes(permission) === true);
}

/** Every permission `roles` grant, in the order of PERMISSIONS. */
export function grantedPermissions(roles: readonly string[]): Permission[] {
  return PERMISSIONS.filter((permission) => rolesGrant(roles, permission));
}
