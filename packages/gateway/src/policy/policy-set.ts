// The policies in force (baseline pack + a signed bundle) and how a request is decided against them.
//
// Indexing: a policy scoped to one principal (`principal == Agent::"a"`) can only apply to that
// principal — Cedar checks the scope before any condition — so each request is evaluated against the
// general policies plus that principal's own, never against every agent's. The cost of a decision
// then depends on the policies that can apply, not on the size of the set. Slices are parsed on
// first use and kept in a bounded cache.
//
// Evaluation: each slice is compiled for the pure-JS fast path (policy/fast), which answers exactly
// as the official engine or says 'fallback'; the official engine is loaded for a slice only when
// the fast path cannot compile it or falls back on a request. Differential tests on Cedar's corpus
// and on random policies hold the two to identical answers.
//
// Outcomes: Cedar's allow is allow; a deny whose determining policies all carry
// `@approval("required")` is approval_required; a deny with no determining policy means no grant
// covered the call; any evaluation error in any policy is a deny (Cedar would skip that policy,
// which could let a broken forbid fail open).
import { ZtError } from '../errors.js';
import { type CedarDecision, CedarEngine, type CedarRequest } from './cedar-engine.js';
import { FastPolicySet } from './fast/index.js';
import type { SourcePolicy } from './policy-source.js';

export type PolicyDecision = 'allow' | 'deny' | 'approval_required';

export interface PolicyOutcome {
  readonly decision: PolicyDecision;
  /** Determining policies (by `@id`). */
  readonly policyIds: readonly string[];
  /** Reasons safe to show to the agent: the policies' `@reason` annotations, never policy text. */
  readonly reasons: readonly string[];
  /** Highest `@severity` among determining policies ('' when none). */
  readonly severity: string;
  /** Set when the policy engine could not evaluate: the decision is then deny. */
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

const SLICE_CACHE = 1024;

/** The policies that can apply to one principal, ready to evaluate. */
interface Slice {
  /** Undefined when the fast path cannot compile these policies. */
  readonly fast: FastPolicySet | undefined;
  /** The official engine over the same policies, loaded on first need. */
  engine(): CedarEngine;
}

/** How many decisions each path answered (the fast path is expected to answer nearly all). */
export interface EvaluationCounts {
  fast: number;
  engine: number;
}
const SEVERITIES = ['', 'low', 'medium', 'high', 'critical'];
export const NO_GRANT_REASON = 'no task grant covers this call';

export class PolicySet {
  readonly policies: readonly SourcePolicy[];
  readonly #schema: string;
  readonly #general: readonly SourcePolicy[];
  readonly #byPrincipal: ReadonlyMap<string, readonly SourcePolicy[]>;
  readonly #byId: ReadonlyMap<string, SourcePolicy>;
  readonly #slices = new Map<string, Slice>();
  readonly #fastPath: boolean;
  readonly evaluations: EvaluationCounts = { fast: 0, engine: 0 };

  private constructor(policies: readonly SourcePolicy[], schema: string, fastPath: boolean) {
    this.policies = policies;
    this.#schema = schema;
    this.#fastPath = fastPath;
    const byPrincipal = new Map<string, SourcePolicy[]>();
    for (const policy of policies) {
      if (policy.principal === undefined) continue;
      byPrincipal.set(policy.principal, [...(byPrincipal.get(policy.principal) ?? []), policy]);
    }
    this.#general = policies.filter((p) => p.principal === undefined);
    this.#byPrincipal = byPrincipal;
    this.#byId = new Map(policies.map((p) => [p.id, p]));
  }

  /**
   * Validates the whole set against the schema once; throws ZtError policy-invalid.
   * `validatePolicies: false` exists for conformance runs only (see CedarEngineOptions);
   * `fastPath: false` (default true) sends every request to the official engine, for comparisons.
   */
  static load(
    policies: readonly SourcePolicy[],
    schema: string,
    options: { validatePolicies?: boolean; fastPath?: boolean } = {},
  ): PolicySet {
    const ids = new Set<string>();
    for (const policy of policies) {
      if (ids.has(policy.id))
        throw new ZtError('policy-invalid', `policy id "${policy.id}" appears twice`);
      ids.add(policy.id);
    }
    CedarEngine.load(
      { policies: toRecord(policies), schema },
      { validatePolicies: options.validatePolicies !== false },
    );
    return new PolicySet(policies, schema, options.fastPath !== false);
  }

  /** Decides one request (never throws: failures are deny with `error` set). */
  evaluate(request: CedarRequest, entities: unknown): PolicyOutcome {
    let answer: CedarDecision;
    try {
      const slice = this.#slice(
        `${request.principal.type}::${JSON.stringify(request.principal.id)}`,
      );
      const fast = slice.fast?.isAuthorized(request, entities);
      if (fast !== undefined && fast !== 'fallback') {
        this.evaluations.fast++;
        answer = fast;
      } else {
        this.evaluations.engine++;
        answer = slice.engine().isAuthorized(request, entities);
      }
    } catch (error) {
      answer = {
        decision: 'error',
        code: 'policy-engine-error',
        message: error instanceof Error ? error.message : 'failed',
      };
    }
    return this.#outcome(answer);
  }

  #outcome(answer: CedarDecision): PolicyOutcome {
    if (answer.decision === 'error') {
      return failure(answer.code, answer.message);
    }
    if (answer.errors.length > 0)
      return failure(
        'policy-engine-error',
        `policy ${answer.errors.join(', ')} could not be evaluated`,
      );
    const determining = answer.policyIds
      .map((id) => this.#byId.get(id))
      .filter((p) => p !== undefined);
    const reasons = [
      ...new Set(
        determining.map(
          (p) => p.annotations.reason ?? (p.effect === 'forbid' ? 'denied by policy' : 'allowed'),
        ),
      ),
    ];
    const severity = determining
      .map((p) => p.annotations.severity ?? '')
      .reduce((a, b) => (SEVERITIES.indexOf(b) > SEVERITIES.indexOf(a) ? b : a), '');
    const policyIds = determining.map((p) => p.id);
    if (answer.decision === 'allow')
      return { decision: 'allow', policyIds, reasons, severity, error: undefined };
    if (determining.length === 0)
      return {
        decision: 'deny',
        policyIds,
        reasons: [NO_GRANT_REASON],
        severity,
        error: undefined,
      };
    const approval = determining.every((p) => p.annotations.approval === 'required');
    return {
      decision: approval ? 'approval_required' : 'deny',
      policyIds,
      reasons,
      severity,
      error: undefined,
    };
  }

  #slice(principal: string): Slice {
    const cached = this.#slices.get(principal);
    if (cached !== undefined) {
      this.#slices.delete(principal);
      this.#slices.set(principal, cached);
      return cached;
    }
    const slice = this.#newSlice(
      toRecord([...this.#general, ...(this.#byPrincipal.get(principal) ?? [])]),
    );
    if (this.#slices.size >= SLICE_CACHE)
      this.#slices.delete(this.#slices.keys().next().value as string);
    this.#slices.set(principal, slice);
    return slice;
  }

  #newSlice(policies: Record<string, string>): Slice {
    const schema = this.#schema;
    let engine: CedarEngine | undefined;
    return {
      fast: this.#fastPath ? FastPolicySet.compile(policies, schema) : undefined,
      // The whole set was validated at load; a slice only needs the schema to type requests.
      engine: () =>
        (engine ??= CedarEngine.load(
          { policies, schema },
          { validatePolicies: false, validateRequests: false },
        )),
    };
  }
}

function toRecord(policies: readonly SourcePolicy[]): Record<string, string> {
  return Object.fromEntries(policies.map((p) => [p.id, p.text]));
}

function failure(code: string, message: string): PolicyOutcome {
  return {
    decision: 'deny',
    policyIds: [],
    reasons: ['the policy engine could not evaluate this call'],
    severity: '',
    error: { code, message },
  };
}
