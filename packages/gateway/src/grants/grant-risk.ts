// How a grant request is decided before any human sees it. Deterministic and documented
// (docs/grants.md): outside the mission is denied; broad or risky is pending; the rest is granted.
import type { GrantPermission } from './grant-scope.js';
import { matchesPattern } from './grant-scope.js';

export type GrantTriage = {
  readonly outcome: 'approve' | 'pending' | 'deny';
  readonly reason: string;
};

export interface TriageInput {
  readonly allow: readonly GrantPermission[];
  readonly ttlSeconds: number;
  readonly maxUses: number | undefined;
  readonly labels: readonly string[];
  /** The mission's allowed action and tool patterns; empty lists allow nothing. */
  readonly mission: {
    readonly actions: readonly string[];
    readonly tools: readonly string[];
    readonly dataClasses: readonly string[];
  };
  /** Tools the operator marked privileged. */
  readonly privilegedTools: readonly string[];
}

/** Grants above these bounds wait for a human even when everything else is low risk. */
export const AUTO_APPROVE_MAX_TTL_SECONDS = 3600;
export const AUTO_APPROVE_MAX_USES = 100;

export function triageGrant(input: TriageInput): GrantTriage {
  for (const permission of input.allow) {
    const actionOk =
      input.mission.actions.length === 0 ||
      input.mission.actions.some((p) => covers(p, permission.action));
    const toolOk = input.mission.tools.some((p) => covers(p, permission.resource));
    if (!actionOk || !toolOk)
      return {
        outcome: 'deny',
        reason: `${permission.action}:${permission.resource} is outside the mission`,
      };
  }
  const unlisted = input.labels.filter((label) => !input.mission.dataClasses.includes(label));
  if (unlisted.length > 0)
    return { outcome: 'deny', reason: `data class ${unlisted.join(', ')} is outside the mission` };
  if (input.allow.some((p) => p.resource.includes('*') || p.action.includes('*'))) {
    return { outcome: 'pending', reason: 'wildcard permissions need an approver' };
  }
  if (input.allow.some((p) => input.privilegedTools.includes(p.resource))) {
    return { outcome: 'pending', reason: 'privileged tools need an approver' };
  }
  if (input.ttlSeconds > AUTO_APPROVE_MAX_TTL_SECONDS)
    return { outcome: 'pending', reason: 'long-lived grants need an approver' };
  if (input.maxUses === undefined || input.maxUses > AUTO_APPROVE_MAX_USES) {
    return { outcome: 'pending', reason: 'grants without a small use limit need an approver' };
  }
  return {
    outcome: 'approve',
    reason: 'low risk: specific tools within the mission, short-lived, few uses',
  };
}

/** True when every value `inner` can match is matched by the mission pattern `outer`. */
function covers(outer: string, inner: string): boolean {
  if (!inner.includes('*')) return matchesPattern(outer, inner);
  if (outer === '*') return true;
  // A wildcard request is covered only by a mission pattern that is a prefix wildcard of it.
  return outer.endsWith('*') && inner.startsWith(outer.slice(0, -1));
}
