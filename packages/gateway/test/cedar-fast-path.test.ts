// Unit tests of the pure-JS Cedar fast path (src/policy/fast): what compiles, Cedar's semantics on
// known answers (each also checked against the official engine), every error path — unsupported
// constructs, unrepresentable values, malformed and hostile requests — and the production shapes
// (baseline pack, benchmark agent policies, guard-built requests) answering without fallback.
import fc from 'fast-check';
import { LosslessNumber } from 'lossless-json';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadShellParser } from '../src/detectors/shell.js';
import { detectCallFacts } from '../src/guard/call-facts.js';
import type { DetectionSettings } from '../src/guard/call-facts.js';
import { CedarEngine } from '../src/policy/cedar-engine.js';
import { wasmRuntime } from '../src/policy/cedar-runtime.js';
import type { CedarDecision, CedarRequest } from '../src/policy/cedar-engine.js';
import { baselinePolicies, zt4aiSchema } from '../src/policy/baseline.js';
import * as fastPath from '../src/policy/fast/index.js';
import { FastPolicySet } from '../src/policy/fast/index.js';
import { compileLikePattern, likeMatches } from '../src/policy/fast/like.js';
import { parsePolicySource } from '../src/policy/policy-source.js';
import { TOOLS } from './support/guard.js';

const SCHEMA = `
entity Team in [Team] { level: Long } tags Long;
entity Agent in [Team] { name: String, level: Long, boss?: Agent, profile?: { age: Long, nick?: String } } tags String;
entity Tool { weight: Long, ip?: ipaddr };
action "read";
action "call" in ["read"] appliesTo { principal: [Agent], resource: [Tool], context: { n: Long, s: String, b: Bool, who?: Agent, list: Set<Long>, rec: { x: Long, y?: String }, addr?: ipaddr } };
`;

const CONTEXT = { n: 5, s: 'abc', b: true, list: [1, 2, 3], rec: { x: 1 } };
const REQUEST: CedarRequest = {
  principal: { type: 'Agent', id: 'a1' },
  action: { type: 'Action', id: 'call' },
  resource: { type: 'Tool', id: 'w' },
  context: CONTEXT,
};
const ENTITIES = [
  {
    uid: { type: 'Agent', id: 'a1' },
    attrs: { name: 'Ann', level: 3, boss: { type: 'Agent', id: 'a2' } },
    parents: [{ type: 'Team', id: 't0' }],
    tags: { role: 'lead' },
  },
  { uid: { type: 'Team', id: 't0' }, attrs: { level: 0 }, parents: [{ type: 'Team', id: 't1' }] },
  { uid: { type: 'Team', id: 't1' }, attrs: { level: 1 }, parents: [], tags: { budget: 10 } },
  { uid: { type: 'Tool', id: 'w' }, attrs: { weight: 9007199254740991 }, parents: [] },
];

/**
 * One permit with `condition`, compiled on the fast path and loaded in the official engine.
 * `schema` null means no schema.
 */
function both(condition: string, schema: string | null = SCHEMA) {
  const policies = { p: `permit (principal, action, resource) when { ${condition} };` };
  const fast = FastPolicySet.compile(policies, schema ?? undefined);
  const engine = CedarEngine.load(schema === null ? { policies } : { policies, schema }, {
    validatePolicies: false,
  });
  return { fast, engine };
}

type Outcome = 'true' | 'false' | 'error';

function outcome(decision: CedarDecision | 'fallback'): Outcome | 'fallback' | 'request-error' {
  if (decision === 'fallback') return 'fallback';
  if (decision.decision === 'error') return 'request-error';
  if (decision.errors.length > 0) return 'error';
  return decision.decision === 'allow' ? 'true' : 'false';
}

/** Evaluates `condition` on both paths; both MUST give `expected`. */
function expectCondition(
  condition: string,
  expected: Outcome,
  request: CedarRequest = REQUEST,
  entities: unknown = ENTITIES,
  schema: string | null = SCHEMA,
): void {
  const { fast, engine } = both(condition, schema);
  expect(fast, `compiles: ${condition}`).toBeDefined();
  expect(outcome(engine.isAuthorized(request, entities)), `wasm: ${condition}`).toBe(expected);
  expect(outcome(fast!.isAuthorized(request, entities)), `fast: ${condition}`).toBe(expected);
}

describe('FastPolicySet.compile', () => {
  it('is the only export of the fast path', () => {
    expect(Object.keys(fastPath).sort()).toEqual(['FastPolicySet']);
  });

  it('compiles the baseline pack and the benchmark agent policies under the production schema', () => {
    const policies = [
      ...baselinePolicies(),
      ...agentPolicies(0),
      ...agentPolicies(1),
      ...agentPolicies(2),
    ];
    expect(policies.length).toBe(13 + 6);
    const fast = FastPolicySet.compile(
      Object.fromEntries(policies.map((p) => [p.id, p.text])),
      zt4aiSchema(),
    );
    expect(fast).toBeInstanceOf(FastPolicySet);
  });

  it.each([
    [
      'an extension function',
      'permit (principal, action, resource) when { ip("10.0.0.1").isIpv4() };',
    ],
    [
      'a decimal method',
      'permit (principal, action, resource) when { context.d.lessThan(decimal("1.0")) };',
    ],
    [
      'a datetime literal',
      'permit (principal, action, resource) when { datetime("2024-01-01") < context.t };',
    ],
    [
      'an integer beyond ±(2^53 − 1)',
      'permit (principal, action, resource) when { context.n < 9223372036854775807 };',
    ],
    ['a template slot', 'permit (principal == ?principal, action, resource);'],
    [
      'two policies in one text',
      'permit (principal, action, resource); forbid (principal, action, resource);',
    ],
    ['text that does not parse', 'permit (principal, action, resource) when { context. };'],
  ])('returns undefined for %s', (_, text) => {
    expect(FastPolicySet.compile({ p: text }, undefined)).toBeUndefined();
    expect(
      FastPolicySet.compile({ ok: 'permit (principal, action, resource);', p: text }, SCHEMA),
    ).toBeUndefined();
  });

  it('returns undefined for a policy that crashes the official parser; the engine keeps working', () => {
    const engine = CedarEngine.load({ policies: { p: 'permit (principal, action, resource);' } });
    const nested = `permit (principal, action, resource) when { ${'('.repeat(400)}true${')'.repeat(400)} };`;
    const generation = wasmRuntime.generation;
    expect(FastPolicySet.compile({ p: nested }, undefined)).toBeUndefined();
    // The trapped wasm instance was dropped; the engine preparses into a fresh one.
    expect(engine.isAuthorized(REQUEST, []).decision).toBe('allow');
    expect(wasmRuntime.generation).toBe(generation + 1);
    expect(
      FastPolicySet.compile({ p: 'permit (principal, action, resource);' }, SCHEMA),
    ).toBeDefined();
  });

  it('returns undefined for a schema that does not parse', () => {
    expect(
      FastPolicySet.compile({ p: 'permit (principal, action, resource);' }, 'entity ;'),
    ).toBeUndefined();
  });

  it('throws TypeError on misuse (not a map of texts)', () => {
    expect(() => FastPolicySet.compile(null as never, undefined)).toThrow(TypeError);
    expect(() => FastPolicySet.compile({ p: 1 } as never, undefined)).toThrow(TypeError);
    expect(() => FastPolicySet.compile({}, 1 as never)).toThrow(TypeError);
  });

  it('compiles an empty set, which denies everything', () => {
    const fast = FastPolicySet.compile({}, SCHEMA);
    expect(fast?.isAuthorized(REQUEST, ENTITIES)).toEqual({
      decision: 'deny',
      policyIds: [],
      errors: [],
    });
  });
});

describe('Cedar semantics (known answers, same on the official engine)', () => {
  it.each<[string, Outcome]>([
    // Literals, equality (structural, never an error), ordering on Longs only.
    ['1 + 2 == 3', 'true'],
    ['"a" == 1', 'false'],
    ['"a" != 1', 'true'],
    ['Agent::"a1" == Agent::"a1"', 'true'],
    ['Agent::"a1" == Team::"a1"', 'false'],
    ['[1, 2, 2] == [2, 1]', 'true'],
    ['[1, [2]] == [[2], 1]', 'true'],
    ['{a: 1, b: [true]} == {b: [true], a: 1}', 'true'],
    ['{a: 1} == {a: 1, b: 2}', 'false'],
    ['context.rec == {x: 1}', 'true'],
    ['1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3', 'true'],
    ['1 < "a"', 'error'],
    ['"a" < "b"', 'error'],
    // Short-circuit and type errors on non-booleans.
    ['false && 1', 'false'],
    ['true || 1', 'true'],
    ['true && 1', 'error'],
    ['1 && true', 'error'],
    ['!1', 'error'],
    ['if 1 then true else true', 'error'],
    ['if false then 1 else true', 'true'],
    // Arithmetic on Longs, overflow beyond i64 is an error.
    ['-context.n == -5', 'true'],
    ['context.n * 2 - 1 == 9', 'true'],
    ['"a" + 1 == 1', 'error'],
    ['9007199254740991 * 9007199254740991 > 0', 'error'],
    ['-9007199254740991 * 9007199254740991 < 0', 'error'],
    // Attributes: records and entities; missing attribute or entity is an error, `has` is not.
    ['context.rec.x == 1', 'true'],
    ['context.rec.y == "q"', 'error'],
    ['context.rec has y', 'false'],
    ['context has rec.x', 'true'],
    ['context has rec.y', 'false'],
    ['context has n.x', 'error'],
    ['principal.name == "Ann"', 'true'],
    ['principal.boss.name == "B"', 'error'],
    ['principal.boss has name', 'false'],
    ['principal has profile', 'false'],
    ['context.n.x == 1', 'error'],
    ['context.n has x', 'error'],
    ['context["s"] like "a*c"', 'true'],
    // Hierarchy: reflexive, transitive; sets of entities only.
    ['principal in principal', 'true'],
    ['principal in Team::"t1"', 'true'],
    ['principal in [Team::"x", Team::"t1"]', 'true'],
    ['principal in [Team::"x"]', 'false'],
    ['principal in [Team::"t1", 1]', 'error'],
    ['principal in 1', 'error'],
    ['1 in principal', 'error'],
    ['Agent::"nobody" in Team::"t1"', 'false'],
    ['Agent::"nobody" in Agent::"nobody"', 'true'],
    ['action in Action::"read"', 'true'],
    // is, like
    ['principal is Agent', 'true'],
    ['principal is Team', 'false'],
    ['1 is Agent', 'error'],
    ['principal is Agent in Team::"t1"', 'true'],
    ['principal is Team in 1', 'false'],
    ['principal is Agent in 1', 'error'],
    ['"abc" like "a*"', 'true'],
    ['"abc" like "*b"', 'false'],
    ['"a*c" like "a\\*c"', 'true'],
    ['"abc" like "a\\*c"', 'false'],
    ['"" like "*"', 'true'],
    ['"aa" like "*a*a"', 'true'],
    ['"a" like "*a*a"', 'false'],
    ['1 like "*"', 'error'],
    // Sets
    ['context.list.contains(2)', 'true'],
    ['context.list.containsAll([3, 1])', 'true'],
    ['context.list.containsAny([9, 3])', 'true'],
    ['[].isEmpty()', 'true'],
    ['context.n.contains(1)', 'error'],
    ['context.list.containsAll(1)', 'error'],
    ['[[1], {a: Agent::"x"}].contains({a: Agent::"x"})', 'true'],
    // Tags
    ['principal.hasTag("role")', 'true'],
    ['principal.getTag("role") == "lead"', 'true'],
    ['principal.getTag("none") == "lead"', 'error'],
    ['principal.hasTag("none")', 'false'],
    ['Agent::"nobody".hasTag("role")', 'false'],
    ['Agent::"nobody".getTag("role") == 1', 'error'],
    ['Team::"t1".getTag("budget") == 10', 'true'],
    ['principal.hasTag(1)', 'error'],
    ['context.rec.hasTag("x")', 'error'],
  ])('%s → %s', (condition, expected) => {
    expectCondition(condition, expected);
  });

  it('when/unless clauses in order: an error after a false clause is never reached', () => {
    const policies = {
      p0: 'permit (principal, action, resource) when { false } when { 1 };',
      p1: 'permit (principal, action, resource) when { 1 } when { false };',
      p2: 'permit (principal, action, resource) unless { false };',
      p3: 'forbid (principal, action, resource) unless { 1 };',
    };
    const fast = FastPolicySet.compile(policies, SCHEMA);
    const engine = CedarEngine.load({ policies, schema: SCHEMA }, { validatePolicies: false });
    const expected = { decision: 'allow', policyIds: ['p2'], errors: ['p1', 'p3'] };
    expect(sorted(engine.isAuthorized(REQUEST, ENTITIES))).toEqual(expected);
    expect(sorted(fast?.isAuthorized(REQUEST, ENTITIES) as CedarDecision)).toEqual(expected);
  });

  it('forbid overrides permit; the satisfied forbids are the reasons', () => {
    const policies = {
      allow: 'permit (principal, action, resource);',
      never: 'forbid (principal, action, resource) when { context.b };',
      other: 'forbid (principal == Agent::"zz", action, resource);',
    };
    const fast = FastPolicySet.compile(policies, SCHEMA);
    expect(fast?.isAuthorized(REQUEST, ENTITIES)).toEqual({
      decision: 'deny',
      policyIds: ['never'],
      errors: [],
    });
    expect(fast?.isAuthorized({ ...REQUEST, context: { ...CONTEXT, b: false } }, ENTITIES)).toEqual(
      {
        decision: 'allow',
        policyIds: ['allow'],
        errors: [],
      },
    );
  });

  it('scopes: ==, in (entity, set of actions), is, is … in', () => {
    const policies = {
      eq: 'permit (principal == Agent::"a1", action == Action::"call", resource == Tool::"w");',
      in: 'permit (principal in Team::"t1", action in [Action::"x", Action::"read"], resource);',
      is: 'permit (principal is Agent in Team::"t0", action, resource is Tool);',
      not: 'permit (principal is Team, action, resource);',
    };
    const fast = FastPolicySet.compile(policies, SCHEMA);
    const engine = CedarEngine.load({ policies, schema: SCHEMA }, { validatePolicies: false });
    const expected = { decision: 'allow', policyIds: ['eq', 'in', 'is'], errors: [] };
    expect(sorted(engine.isAuthorized(REQUEST, ENTITIES))).toEqual(expected);
    expect(sorted(fast?.isAuthorized(REQUEST, ENTITIES) as CedarDecision)).toEqual(expected);
  });

  it('without a schema, {type, id} is a record and {"__entity": …} an entity', () => {
    const context = {
      plain: { type: 'Team', id: 't0' },
      escaped: { __entity: { type: 'Team', id: 't0' } },
    };
    const request = { ...REQUEST, context };
    expectCondition(
      'context.plain.type == "Team" && context.escaped == Team::"t0"',
      'true',
      request,
      [],
      null,
    );
    expectCondition('context.plain == Team::"t0"', 'false', request, [], null);
  });

  it('with a schema, {type, id} in an entity-typed attribute is an entity', () => {
    expectCondition('principal.boss == Agent::"a2"', 'true');
    expectCondition('context.who == Agent::"a2"', 'true', {
      ...REQUEST,
      context: { ...CONTEXT, who: { type: 'Agent', id: 'a2' } },
    });
  });

  it('like matches exactly as the regular expression of the pattern (property)', () => {
    const piece = fc.oneof(fc.constant('*'), fc.constantFrom('a', 'b', 'ab', 'ü', '\\*'));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.stringMatching(/^[abü*]{0,8}$/),
        (pieces, text) => {
          const elements = pieces.map((p) =>
            p === '*' ? 'Wildcard' : { Literal: p === '\\*' ? '*' : p },
          );
          const regex = new RegExp(
            `^${pieces.map((p) => (p === '*' ? '.*' : (p === '\\*' ? '*' : p).replace(/[*]/g, '\\*'))).join('')}$`,
            'su',
          );
          const pattern = compileLikePattern(elements);
          expect(pattern).toBeDefined();
          expect(likeMatches(text, pattern!)).toBe(regex.test(text));
        },
      ),
      { seed: 4242, numRuns: 2000 },
    );
  });
});

describe('sets: large and mixed sets compare as Cedar sets', () => {
  const policies = {
    all: 'permit (principal, action, resource) when { context.a.containsAll(context.b) };',
    any: 'permit (principal, action, resource) when { context.a.containsAny(context.b) };',
    eq: 'permit (principal, action, resource) when { context.a == context.b };',
  };
  const fast = FastPolicySet.compile(policies, undefined);
  const engine = CedarEngine.load({ policies }, { validatePolicies: false });
  // Enough distinct values that large sets both miss and hit.
  const element = fc.oneof(
    fc.integer({ min: 0, max: 30 }),
    fc.constantFrom('a', 'b', '0', '1', true, false),
    fc.integer({ min: 0, max: 30 }).map((n) => ({ __entity: { type: 'A', id: `e${n}` } })),
    fc.integer({ min: 0, max: 30 }).map((k) => ({ k })),
    fc.integer({ min: 0, max: 30 }).map((k) => [k]),
  );
  const pair = fc.oneof(
    fc.tuple(
      fc.array(element, { maxLength: 60, size: 'max' }),
      fc.array(element, { maxLength: 60, size: 'max' }),
    ),
    // b drawn from a, so containment and equality also hold.
    fc
      .array(element, { minLength: 1, maxLength: 60, size: 'max' })
      .chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a))),
  );

  it('containsAll, containsAny and == equal the engine, small and indexed (property)', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const request = { ...REQUEST, context: { a, b } };
        const got = fast?.isAuthorized(structuredClone(request), []);
        expect(got).not.toBe('fallback');
        expect(sorted(got as CedarDecision)).toEqual(sorted(engine.isAuthorized(request, [])));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('two sets of 20,000 strings compare in linear time', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `s${i}`);
    const request = { ...REQUEST, context: { a, b: [...a].reverse() } };
    const started = performance.now();
    const got = fast?.isAuthorized(request, []);
    expect(performance.now() - started).toBeLessThan(500);
    expect(sorted(got as CedarDecision)).toEqual(sorted(engine.isAuthorized(request, [])));
    expect(sorted(got as CedarDecision)).toEqual({
      decision: 'allow',
      policyIds: ['all', 'any', 'eq'],
      errors: [],
    });
  });
});

describe('fallback: requests the fast path cannot decide exactly', () => {
  it.each<[string, string, Partial<CedarRequest>, unknown]>([
    ['an arithmetic result beyond ±(2^53 − 1)', 'context.n + 9007199254740991 > 0', {}, ENTITIES],
    ['a product within i64 but beyond 2^53', '3037000499 * 3037000499 > 0', {}, ENTITIES],
    [
      'an extension value in the context',
      'true',
      { context: { ...CONTEXT, addr: { __extn: { fn: 'ip', arg: '10.0.0.1' } } } },
      ENTITIES,
    ],
    [
      'an extension-typed entity attribute',
      'true',
      {},
      [
        {
          uid: { type: 'Tool', id: 'w' },
          attrs: { weight: 1, ip: { fn: 'ip', arg: '1.2.3.4' } },
          parents: [],
        },
      ],
    ],
    [
      'a context that does not conform to the schema',
      'true',
      { context: { ...CONTEXT, n: 'five' } },
      ENTITIES,
    ],
    [
      'a context with an undeclared attribute',
      'true',
      { context: { ...CONTEXT, extra: 1 } },
      ENTITIES,
    ],
    [
      'an entity that does not conform to the schema',
      'true',
      {},
      [{ uid: { type: 'Team', id: 't9' }, attrs: {}, parents: [] }],
    ],
    [
      'an entity of an undeclared type',
      'true',
      {},
      [{ uid: { type: 'Nope', id: 'x' }, attrs: {}, parents: [] }],
    ],
    [
      'a parent of a type the schema does not allow',
      'true',
      {},
      [
        {
          uid: { type: 'Team', id: 't9' },
          attrs: { level: 1 },
          parents: [{ type: 'Tool', id: 'w' }],
        },
      ],
    ],
    ['duplicate entities', 'true', {}, [ENTITIES[1], ENTITIES[1]]],
    [
      'a cycle in the hierarchy',
      'true',
      {},
      [
        {
          uid: { type: 'Team', id: 'x' },
          attrs: { level: 1 },
          parents: [{ type: 'Team', id: 'x' }],
        },
      ],
    ],
    [
      'an action entity that differs from the schema',
      'true',
      {},
      [{ uid: { type: 'Action', id: 'call' }, attrs: {}, parents: [] }],
    ],
    [
      'an action the schema does not declare',
      'true',
      { action: { type: 'Action', id: 'nope' } },
      ENTITIES,
    ],
    [
      'a principal type the action does not apply to',
      'true',
      { principal: { type: 'Team', id: 't0' } },
      ENTITIES,
    ],
    ['a string with a lone surrogate', 'true', { context: { ...CONTEXT, s: 'a\uD800' } }, ENTITIES],
    [
      'an entity type name Cedar does not accept',
      'true',
      { resource: { type: 'if', id: 'x' } },
      ENTITIES,
    ],
  ])('%s', (_, condition, override, entities) => {
    const { fast, engine } = both(condition);
    const request = { ...REQUEST, ...override };
    expect(fast?.isAuthorized(request, entities)).toBe('fallback');
    // The engine decides these (sometimes an error); the fast path never guesses.
    expect(engine.isAuthorized(request, entities).decision).toMatch(/^(allow|deny|error)$/);
  });

  it('an overflow beyond i64 is an evaluation error, not a fallback', () => {
    const { fast } = both('9007199254740991 * -9007199254740991 < 0');
    expect(fast?.isAuthorized(REQUEST, ENTITIES)).toEqual({
      decision: 'deny',
      policyIds: [],
      errors: ['p'],
    });
  });

  it('without a schema, any other "__" key or a null is left to the engine', () => {
    const { fast } = both('true', null);
    for (const context of [
      { a: { __extn: { fn: 'decimal', arg: '1.0' } } },
      { a: { __expr: '1' } },
      { a: { __entity: { type: 'A', id: 'x' }, b: 1 } },
      { a: null },
    ]) {
      expect(fast?.isAuthorized({ ...REQUEST, context }, [])).toBe('fallback');
    }
  });
});

describe('malformed and hostile requests', () => {
  const { fast, engine } = both('context.b');

  it.each<[string, unknown, unknown]>([
    ['a request that is not an object', null, undefined],
    ['a principal without a type', { ...REQUEST, principal: { id: 'a1' } }, ENTITIES],
    [
      'an action id that is not a string',
      { ...REQUEST, action: { type: 'Action', id: 1 } },
      ENTITIES,
    ],
    ['a context that is not an object', { ...REQUEST, context: [] }, ENTITIES],
    ['a context that is a string', { ...REQUEST, context: 'x' }, ENTITIES],
    ['entities that are not an array', REQUEST, { uid: 1 }],
    [
      'an integer beyond 2^53 in the context',
      { ...REQUEST, context: { ...CONTEXT, n: 2 ** 60 } },
      ENTITIES,
    ],
    [
      'a BigInt beyond 2^53 in an entity',
      REQUEST,
      [{ uid: { type: 'Team', id: 'x' }, attrs: { level: 2n ** 64n }, parents: [] }],
    ],
    [
      'a LosslessNumber beyond 2^53',
      { ...REQUEST, context: { ...CONTEXT, n: new LosslessNumber('9223372036854775807') } },
      ENTITIES,
    ],
    ['a function value', { ...REQUEST, context: { ...CONTEXT, f: () => 1 } }, ENTITIES],
    ['a class instance', { ...REQUEST, context: { ...CONTEXT, d: new Date(0) } }, ENTITIES],
    ['nesting deeper than 32', { ...REQUEST, context: { ...CONTEXT, deep: nested(40) } }, ENTITIES],
    ['a cycle', { ...REQUEST, context: cyclic() }, ENTITIES],
    ['a getter that throws in the context', { ...REQUEST, context: throwingGetter() }, ENTITIES],
    ['a getter that throws in the entities', REQUEST, [throwingGetter()]],
    ['a Proxy whose traps throw', { ...REQUEST, context: throwingProxy() }, ENTITIES],
  ])('%s: the same error decision as CedarEngine', (_, request, entities) => {
    const want = engine.isAuthorized(request as CedarRequest, entities);
    expect(want.decision).toBe('error');
    expect(fast?.isAuthorized(request as CedarRequest, entities)).toEqual(want);
  });

  it('never throws, even when reading the request itself throws (then: fallback)', () => {
    const request = Object.defineProperty({ ...REQUEST }, 'principal', {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => fast?.isAuthorized(request, ENTITIES)).not.toThrow();
    expect(fast?.isAuthorized(request, ENTITIES)).toBe('fallback');
    expect(fast?.isAuthorized(throwingProxy() as never, ENTITIES)).toBe('fallback');
  });

  it('does not change the caller’s request or entities', () => {
    const request = structuredClone({
      ...REQUEST,
      context: { ...CONTEXT, who: { type: 'Agent', id: 'a2' } },
    });
    const entities = structuredClone(ENTITIES);
    const before = structuredClone({ request, entities });
    expect(fast?.isAuthorized(request, entities)).not.toBe('fallback');
    expect({ request, entities }).toEqual(before);
  });
});

describe('production shapes: guard-built requests answer without fallback', () => {
  let settings: DetectionSettings;
  beforeAll(async () => {
    settings = {
      egress: { allowHosts: ['api.example.com'], allowPrivate: [], allowedSchemes: ['https'] },
      pathRoots: ['/srv/data'],
      shell: await loadShellParser(),
      knownTools: TOOLS.map((t) => t.name),
    };
  });

  it.each([
    ['db/query', { sql: 'SELECT * FROM users' }],
    ['db/query', { sql: 'DELETE FROM users' }],
    ['web/fetch', { url: 'http://169.254.169.254/latest/meta-data' }],
    ['web/fetch', { url: 'https://api.example.com/x' }],
    ['fs/read_file', { path: '/srv/data/../../etc/passwd' }],
    ['shell/exec', { command: 'rm -rf /' }],
    ['mail/send', { body: 'AKIAIOSFODNN7EXAMPLE' }],
    ['admin/export_all_credentials', {}],
  ])('%s %j: the same answer as the engine', (toolName, args) => {
    const policies = [
      ...baselinePolicies(),
      ...agentPolicies(0),
      ...agentPolicies(1),
      ...agentPolicies(2),
    ];
    const record = Object.fromEntries(policies.map((p) => [p.id, p.text]));
    const fast = FastPolicySet.compile(record, zt4aiSchema());
    const engine = CedarEngine.load(
      { policies: record, schema: zt4aiSchema() },
      { validatePolicies: false, validateRequests: false },
    );
    const tool = TOOLS.find((t) => t.name === toolName);
    for (const agent of ['agent-0', 'agent-1', 'agent-2', 'stranger']) {
      for (const granted of [true, false]) {
        const facts = detectCallFacts(tool, toolName, args, undefined, settings);
        const request: CedarRequest = {
          principal: { type: 'Agent', id: agent },
          action: { type: 'Action', id: 'tools/call' },
          resource: { type: 'Tool', id: toolName },
          context: { granted, ...facts },
        };
        const entities = guardEntities(agent, toolName, tool);
        const got = fast?.isAuthorized(request, entities);
        expect(got).not.toBe('fallback');
        expect(sorted(got as CedarDecision)).toEqual(
          sorted(engine.isAuthorized(request, entities)),
        );
      }
    }
  });
});

/** The two policies the decision benchmark (bench/decide.js `agentPolicies`) gives agent i. */
function agentPolicies(i: number) {
  const tool = ['db/query', 'web/fetch', 'fs/read_file'][i % 3] as string;
  const scope = `principal == Agent::"agent-${i}", action == Action::"tools/call", resource == Tool::"${tool}"`;
  const [permitWhen, forbidWhen] = {
    'db/query': [
      'context.sql.kinds.contains("select")',
      'context.sql.kinds.containsAny(["insert", "update", "delete"])',
    ],
    'web/fetch': ['context.egress.listed', 'context.egress.present && !context.egress.listed'],
    'fs/read_file': ['context.path.allowed', 'context.path.escapesRoot'],
  }[tool] as [string, string];
  const text = [
    `@id("agent-${i}/permit")\npermit (${scope})\nwhen { ${permitWhen} };`,
    `@id("agent-${i}/forbid")\nforbid (${scope})\nwhen { ${forbidWhen} };`,
  ].join('\n\n');
  return parsePolicySource(text, `agent-${i}.cedar`, `agent-${i}#`);
}

/** The entities guard.ts sends with each request. */
function guardEntities(
  agent: string,
  toolName: string,
  tool: (typeof TOOLS)[number] | undefined,
): unknown[] {
  const server = toolName.includes('/') ? toolName.split('/')[0] : undefined;
  return [
    {
      uid: { type: 'Agent', id: agent },
      attrs: { name: agent, owner: '' },
      parents: [{ type: 'Team', id: 'team-1' }],
    },
    {
      uid: { type: 'Tool', id: toolName },
      attrs: {
        honeytoken: tool?.honeytoken === true,
        privileged: tool?.privileged === true,
        sink: tool?.sink ?? 'external',
      },
      parents: server === undefined ? [] : [{ type: 'Server', id: server }],
    },
  ];
}

function sorted(decision: CedarDecision): CedarDecision {
  return decision.decision === 'error'
    ? decision
    : {
        ...decision,
        policyIds: [...decision.policyIds].sort(),
        errors: [...decision.errors].sort(),
      };
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function cyclic(): Record<string, unknown> {
  const context: Record<string, unknown> = { ...CONTEXT };
  context['self'] = context;
  return context;
}

function throwingGetter(): Record<string, unknown> {
  return Object.defineProperty({ ...CONTEXT }, 'n', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
}

function throwingProxy(): object {
  return new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('boom');
      },
      get() {
        throw new Error('boom');
      },
      getPrototypeOf() {
        throw new Error('boom');
      },
    },
  );
}
