// Differential tests of the faster evaluation path: PolicySet evaluates each request against the
// general policies plus the principal's own slice; the reference is one CedarEngine over the whole
// policy text (Cedar's own ids policy0, policy1, …). Same decisions and determining policies on the
// Cedar corpus (handwritten tests + a deterministic sample of the generated corpus) and on random
// policy sets and requests.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZtError } from '../src/errors.js';
import { CedarEngine } from '../src/policy/cedar-engine.js';
import type { CedarDecision, CedarRequest } from '../src/policy/cedar-engine.js';
import { PolicySet } from '../src/policy/policy-set.js';
import type { PolicyOutcome } from '../src/policy/policy-set.js';
import { parsePolicySource } from '../src/policy/policy-source.js';
import type { SourcePolicy } from '../src/policy/policy-source.js';
import { CEDAR_DIR, extractCorpus, listVectorFiles, readVector } from './support/cedar-vectors.js';

/** Every CORPUS_STRIDE-th generated corpus file (sorted by name) is run: ~980 of ~7,800. */
const CORPUS_STRIDE = 8;

/** What a request is compared on: the decision, the determining policies, the error code. */
interface Comparable {
  decision: string;
  policyIds: string[];
  error: string | undefined;
}

interface Counts {
  files: number;
  /** Files whose policies validate (PolicySet.load with the default, validating options). */
  validating: number;
  /** Files that only load with validatePolicies: false (shouldValidate: false in the corpus). */
  unvalidated: number;
  policies: number;
  principalScoped: number;
  requests: number;
  allow: number;
  deny: number;
  /** Requests answered with an error (deny): value-out-of-range or a policy that errored. */
  errored: number;
  /** Requests for which the slice left out at least one policy scoped to another principal. */
  sliceExcluded: number;
  /** Requests PolicySet answered on the pure-JS fast path (the rest went to the official engine). */
  fastPath: number;
}

function emptyCounts(): Counts {
  return {
    files: 0,
    validating: 0,
    unvalidated: 0,
    policies: 0,
    principalScoped: 0,
    fastPath: 0,
    requests: 0,
    allow: 0,
    deny: 0,
    errored: 0,
    sliceExcluded: 0,
  };
}

function fromOutcome(outcome: PolicyOutcome): Comparable {
  return {
    decision: outcome.decision,
    policyIds: [...outcome.policyIds].sort(),
    error: outcome.error?.code,
  };
}

/**
 * The reference answer as PolicySet documents its mapping: Cedar's error → deny; any erroring policy
 * → deny with no determining policy; otherwise Cedar's decision and determining policies, with
 * Cedar's ids (policy0, policy1, … in source order) renamed by `rename` when given.
 */
function fromReference(answer: CedarDecision, rename?: (cedarId: string) => string): Comparable {
  if (answer.decision === 'error') return { decision: 'deny', policyIds: [], error: answer.code };
  if (answer.errors.length > 0)
    return { decision: 'deny', policyIds: [], error: 'policy-engine-error' };
  return {
    decision: answer.decision,
    policyIds: answer.policyIds.map((id) => (rename === undefined ? id : rename(id))).sort(),
    error: undefined,
  };
}

function principalKey(request: CedarRequest): string {
  return `${request.principal.type}::${JSON.stringify(request.principal.id)}`;
}

function loadSet(policies: readonly SourcePolicy[], schema: string, counts: Counts): PolicySet {
  try {
    const set = PolicySet.load(policies, schema);
    counts.validating++;
    return set;
  } catch (error) {
    if (!(error instanceof ZtError) || error.code !== 'policy-invalid') throw error;
    counts.unvalidated++;
    return PolicySet.load(policies, schema, { validatePolicies: false });
  }
}

/** Runs one vector file through both paths; returns human-readable differences. */
function runVector(baseDir: string, file: string, counts: Counts): string[] {
  const failures: string[] = [];
  const name = path.relative(baseDir, file);
  const { test, policies: text, schema, entities } = readVector(baseDir, file);
  counts.files++;

  const policies = parsePolicySource(text, name, 'policy');
  counts.policies += policies.length;
  counts.principalScoped += policies.filter((p) => p.principal !== undefined).length;
  const set = loadSet(policies, schema, counts);
  // The reference gets the text itself: Cedar numbers its policies, not parsePolicySource.
  const reference = CedarEngine.load({ policies: text, schema }, { validatePolicies: false });

  const fastBefore = set.evaluations.fast;
  for (const request of test.requests) {
    counts.requests++;
    const call: CedarRequest = {
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
    };
    const got = fromOutcome(set.evaluate(call, entities));
    const want = fromReference(reference.isAuthorized(call, entities));
    if (got.error !== undefined) counts.errored++;
    else if (got.decision === 'allow') counts.allow++;
    else counts.deny++;
    const key = principalKey(call);
    if (policies.some((p) => p.principal !== undefined && p.principal !== key))
      counts.sliceExcluded++;
    if (JSON.stringify(got) !== JSON.stringify(want))
      failures.push(
        `${name} "${request.description}": sliced ${JSON.stringify(got)} != unsliced ${JSON.stringify(want)}`,
      );
  }
  counts.fastPath += set.evaluations.fast - fastBefore;
  return failures;
}

describe('PolicySet slicing vs one unsliced CedarEngine: the Cedar corpus', () => {
  let corpusDir = '';
  let removeCorpus = (): void => undefined;
  let sample: string[] = [];

  beforeAll(() => {
    ({ dir: corpusDir, remove: removeCorpus } = extractCorpus('zt4ai-slicing-corpus-'));
    sample = listVectorFiles(path.join(corpusDir, 'corpus-tests')).filter(
      (_, n) => n % CORPUS_STRIDE === 0,
    );
  });

  afterAll(() => {
    removeCorpus();
  });

  it('handwritten tests: identical decisions and determining policies', () => {
    const counts = emptyCounts();
    const failures = listVectorFiles(path.join(CEDAR_DIR, 'tests')).flatMap((file) =>
      runVector(CEDAR_DIR, file, counts),
    );
    console.log('slicing differential, handwritten:', counts);
    expect(failures).toEqual([]);
    expect(counts.files).toBeGreaterThanOrEqual(20);
    // Not vacuous: multi-policy texts (Cedar numbering), scoped policies left out of slices.
    expect(counts.policies).toBeGreaterThan(counts.files);
    expect(counts.principalScoped).toBeGreaterThan(0);
    expect(counts.sliceExcluded).toBeGreaterThan(0);
    expect(counts.allow).toBeGreaterThan(0);
    expect(counts.deny).toBeGreaterThan(0);
  });

  it(`generated corpus, every ${CORPUS_STRIDE}th file: identical decisions and determining policies`, () => {
    const counts = emptyCounts();
    const started = performance.now();
    const failures = sample.flatMap((file) => runVector(corpusDir, file, counts));
    console.log(
      'slicing differential, corpus sample:',
      counts,
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(counts.files).toBeGreaterThan(900);
    expect(counts.requests).toBeGreaterThan(7000);
    expect(counts.validating).toBeGreaterThan(0);
    expect(counts.unvalidated).toBeGreaterThan(0);
    expect(counts.validating + counts.unvalidated).toBe(counts.files);
    expect(counts.principalScoped).toBeGreaterThan(0);
    expect(counts.sliceExcluded).toBeGreaterThan(0);
    expect(counts.errored).toBeGreaterThan(0);
    // Most requests take the fast path, so these comparisons hold it to the official engine too.
    expect(counts.fastPath).toBeGreaterThan(counts.requests / 2);
    expect(counts.allow).toBeGreaterThan(0);
  }, 120_000);
});

// Random policy sets over a small schema: principal-scoped and unscoped permits and forbids whose
// conditions read context booleans (and one that can overflow, so evaluation errors occur too).

const SCHEMA = `
entity Team;
entity Agent in [Team];
entity Tool;
action "call" appliesTo { principal: Agent, resource: Tool, context: { a: Bool, b: Bool, c: Bool } };
`;

/** Agent ids, including ones that need escaping and one no policy names. */
const AGENTS = ['a1', 'a2', 'a3', 'q"uote', 'back\\slash', 'ünï', ''];
const POLICY_AGENTS = AGENTS.slice(0, -2).concat(['']);
const REQUEST_AGENTS = [...AGENTS, 'nobody'];
const VARS = ['a', 'b', 'c'] as const;

type Scope =
  { kind: 'any' } | { kind: 'eq'; agent: string } | { kind: 'in'; agent: string } | { kind: 'is' };
type Literal = { var: (typeof VARS)[number]; negated: boolean } | { overflow: true };
interface RandomPolicy {
  effect: 'permit' | 'forbid';
  scope: Scope;
  /** A disjunction of conjunctions of literals (empty: no `when`). */
  when: Literal[][];
  reason: boolean;
}

const scopeArb: fc.Arbitrary<Scope> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Scope>({ kind: 'any' }) },
  {
    weight: 5,
    arbitrary: fc.constantFrom(...POLICY_AGENTS).map((agent): Scope => ({ kind: 'eq', agent })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...POLICY_AGENTS).map((agent): Scope => ({ kind: 'in', agent })),
  },
  { weight: 1, arbitrary: fc.constant<Scope>({ kind: 'is' }) },
);
const literalArb: fc.Arbitrary<Literal> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ var: fc.constantFrom(...VARS), negated: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Literal>({ overflow: true }) },
);
const policyArb: fc.Arbitrary<RandomPolicy> = fc.record({
  effect: fc.constantFrom('permit' as const, 'forbid' as const),
  scope: scopeArb,
  when: fc.array(fc.array(literalArb, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  reason: fc.boolean(),
});
const requestArb = fc.record({
  agent: fc.constantFrom(...REQUEST_AGENTS),
  a: fc.boolean(),
  b: fc.boolean(),
  c: fc.boolean(),
});

function agentRef(agent: string): string {
  // JSON escapes `"` and `\` as Cedar does; the ids here carry no control characters.
  return `Agent::${JSON.stringify(agent)}`;
}

/** The policy as Cedar text, named `@id(id)` when an id is given. */
function policyText(policy: RandomPolicy, id?: string): string {
  const scope =
    policy.scope.kind === 'any'
      ? 'principal'
      : policy.scope.kind === 'is'
        ? 'principal is Agent'
        : `principal ${policy.scope.kind === 'eq' ? '==' : 'in'} ${agentRef(policy.scope.agent)}`;
  const literal = (l: Literal): string =>
    'overflow' in l
      ? '(9223372036854775807 + (if context.a then 1 else 0) > 0)'
      : `${l.negated ? '!' : ''}context.${l.var}`;
  const when =
    policy.when.length === 0
      ? ''
      : ` when { ${policy.when.map((c) => `(${c.map(literal).join(' && ')})`).join(' || ')} }`;
  const reason = policy.reason ? `@reason("${policy.effect} reason")\n` : '';
  const name = id === undefined ? '' : `@id("${id}")\n`;
  return `${name}${reason}${policy.effect} (${scope}, action == Action::"call", resource)${when};`;
}

function callFor(r: { agent: string; a: boolean; b: boolean; c: boolean }): CedarRequest {
  return {
    principal: { type: 'Agent', id: r.agent },
    action: { type: 'Action', id: 'call' },
    resource: { type: 'Tool', id: 't' },
    context: { a: r.a, b: r.b, c: r.c },
  };
}

describe('PolicySet slicing vs one unsliced CedarEngine: random policy sets', () => {
  it('sliced == unsliced for random sets and requests (fast-check)', () => {
    const counts = {
      sets: 0,
      requests: 0,
      allow: 0,
      deny: 0,
      errored: 0,
      sliceExcluded: 0,
      fastPath: 0,
    };
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 1, maxLength: 14 }),
        fc.array(requestArb, { minLength: 1, maxLength: 12 }),
        (random, requests) => {
          // Explicit ids r0, r1, … in source order; Cedar still calls them policy0, policy1, ….
          const text = random.map((p, n) => policyText(p, `r${n}`)).join('\n');
          const policies = parsePolicySource(text, 'random.cedar', 'unused');
          const principals = new Map(policies.map((p) => [p.id, p.principal]));
          expect(random.map((_, n) => principals.get(`r${n}`))).toEqual(
            random.map((p) => (p.scope.kind === 'eq' ? agentRef(p.scope.agent) : undefined)),
          );
          const set = PolicySet.load(policies, SCHEMA);
          const reference = CedarEngine.load({ policies: text, schema: SCHEMA });
          counts.sets++;
          for (const r of requests) {
            const call = callFor(r);
            const got = fromOutcome(set.evaluate(call, []));
            const want = fromReference(reference.isAuthorized(call, []), (id) =>
              id.replace(/^policy/, 'r'),
            );
            expect(got).toEqual(want);
            counts.requests++;
            if (got.error !== undefined) counts.errored++;
            else if (got.decision === 'allow') counts.allow++;
            else counts.deny++;
            if (
              policies.some((p) => p.principal !== undefined && p.principal !== principalKey(call))
            )
              counts.sliceExcluded++;
          }
          counts.fastPath += set.evaluations.fast;
        },
      ),
      { numRuns: 300, seed: 20250102 },
    );
    console.log('slicing differential, random:', counts);
    expect(counts.fastPath).toBeGreaterThan(counts.requests / 2);
    expect(counts.allow).toBeGreaterThan(0);
    expect(counts.deny).toBeGreaterThan(0);
    expect(counts.errored).toBeGreaterThan(0);
    expect(counts.sliceExcluded).toBeGreaterThan(0);
  }, 60_000);

  it("fallback ids are Cedar's own numbering, in source order, also beyond ten policies", () => {
    // Policy N permits exactly agent pN, so the determining policy names its source position.
    const text = Array.from(
      { length: 12 },
      (_, n) => `permit (principal == Agent::"p${n}", action, resource);`,
    ).join('\n');
    const policies = parsePolicySource(text, 'twelve.cedar', 'policy');
    expect(policies.map((p) => [p.id, p.principal])).toEqual(
      Array.from({ length: 12 }, (_, n) => [`policy${n}`, `Agent::"p${n}"`]),
    );
    const set = PolicySet.load(policies, SCHEMA);
    const reference = CedarEngine.load({ policies: text, schema: SCHEMA });
    for (const n of [0, 2, 10, 11]) {
      const call = callFor({ agent: `p${n}`, a: false, b: false, c: false });
      const expected = { decision: 'allow', policyIds: [`policy${n}`], error: undefined };
      expect(fromReference(reference.isAuthorized(call, []))).toEqual(expected);
      expect(fromOutcome(set.evaluate(call, []))).toEqual(expected);
    }
  });

  it('a slice evicted from the bounded cache decides the same when rebuilt', () => {
    const text = [
      'permit (principal, action, resource) when { context.a };',
      'forbid (principal == Agent::"a1", action, resource) when { context.b };',
      'permit (principal == Agent::"a1", action, resource) when { context.c };',
    ].join('\n');
    const policies = parsePolicySource(text, 'cache.cedar', 'policy');
    const set = PolicySet.load(policies, SCHEMA);
    const reference = CedarEngine.load({ policies: text, schema: SCHEMA });
    const first = callFor({ agent: 'a1', a: false, b: false, c: true });
    expect(fromOutcome(set.evaluate(first, []))).toEqual({
      decision: 'allow',
      policyIds: ['policy2'],
      error: undefined,
    });
    // More distinct principals than the cache holds (1024), then a1 again.
    for (let n = 0; n < 1100; n++)
      set.evaluate(callFor({ agent: `x${n}`, a: true, b: true, c: true }), []);
    for (const ctx of [
      { a: false, b: false, c: true },
      { a: true, b: true, c: true },
      { a: false, b: false, c: false },
    ]) {
      const call = callFor({ agent: 'a1', ...ctx });
      expect(fromOutcome(set.evaluate(call, []))).toEqual(
        fromReference(reference.isAuthorized(call, [])),
      );
    }
  }, 60_000);
});
