// CedarEngine: decisions, load errors, every "could not evaluate" path, lossless JSON, differential.
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { LosslessNumber, isLosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { ZtError } from '../src/errors.js';
import { CedarEngine } from '../src/policy/cedar-engine.js';
import type { CedarDecision, CedarRequest } from '../src/policy/cedar-engine.js';
import { createCedarRuntime } from '../src/policy/cedar-runtime.js';
import type { CedarBindings } from '../src/policy/cedar-runtime.js';
import { parseJsonLossless } from '../src/policy/lossless-json.js';

const SCHEMA = `
entity Team;
entity Agent in [Team] { level: Long, name: String };
entity Tool { risk: Long };
action call appliesTo { principal: Agent, resource: Tool, context: { n: Long, tags: Set<String> } };
`;

const POLICIES = `
permit(principal in Team::"ops", action == Action::"call", resource)
  when { resource.risk <= principal.level };
forbid(principal, action == Action::"call", resource)
  when { context.tags.contains("destructive") };
permit(principal == Agent::"root", action, resource);
`;

const ENTITIES = [
  { uid: { type: 'Team', id: 'ops' }, attrs: {}, parents: [] },
  {
    uid: { type: 'Agent', id: 'alice' },
    attrs: { level: 5, name: 'alice' },
    parents: [{ type: 'Team', id: 'ops' }],
  },
  { uid: { type: 'Agent', id: 'bob' }, attrs: { level: 9, name: 'bob' }, parents: [] },
  { uid: { type: 'Agent', id: 'root' }, attrs: { level: 0, name: 'root' }, parents: [] },
  { uid: { type: 'Tool', id: 'shell' }, attrs: { risk: 3 }, parents: [] },
  { uid: { type: 'Tool', id: 'db' }, attrs: { risk: 7 }, parents: [] },
];

function request(principal: string, resource: string, context: Record<string, unknown> = {}) {
  return {
    principal: { type: 'Agent', id: principal },
    action: { type: 'Action', id: 'call' },
    resource: { type: 'Tool', id: resource },
    context: { n: 1, tags: [], ...context },
  } satisfies CedarRequest;
}

function loadDefault(): CedarEngine {
  return CedarEngine.load({ policies: POLICIES, schema: SCHEMA, entities: ENTITIES });
}

function expectZtError(fn: () => unknown, code: string): ZtError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ZtError);
    expect((error as ZtError).code).toBe(code);
    return error as ZtError;
  }
  throw new Error('expected a ZtError');
}

function expectError(decision: CedarDecision, code: 'policy-engine-error' | 'value-out-of-range') {
  expect(decision.decision).toBe('error');
  if (decision.decision === 'error') expect(decision.code).toBe(code);
}

describe('CedarEngine decisions', () => {
  const engine = loadDefault();

  it('names the policies of a text set policy0, policy1, … in source order', () => {
    expect(engine.policyIds).toEqual(['policy0', 'policy1', 'policy2']);
    expect(engine.warnings).toEqual([]);
  });

  it('allows through group membership and reports the determining policy', () => {
    expect(engine.isAuthorized(request('alice', 'shell'))).toEqual({
      decision: 'allow',
      policyIds: ['policy0'],
      errors: [],
    });
  });

  it('denies by default when no permit applies', () => {
    expect(engine.isAuthorized(request('alice', 'db'))).toEqual({
      decision: 'deny',
      policyIds: [],
      errors: [],
    });
    // bob has the level but is not in Team::"ops".
    expect(engine.isAuthorized(request('bob', 'shell')).decision).toBe('deny');
  });

  it('lets a forbid override every permit and reports the forbid', () => {
    const decision = engine.isAuthorized(request('root', 'shell', { tags: ['destructive'] }));
    expect(decision).toEqual({ decision: 'deny', policyIds: ['policy1'], errors: [] });
  });

  it('reports every satisfied permit', () => {
    const decision = engine.isAuthorized(request('root', 'shell'));
    expect(decision.decision).toBe('allow');
    if (decision.decision !== 'error') expect(decision.policyIds).toEqual(['policy2']);
  });

  it('keeps caller ids for a map of policies', () => {
    const byId = CedarEngine.load({
      policies: {
        'allow-ops': 'permit(principal in Team::"ops", action, resource);',
        'no-db': 'forbid(principal, action, resource == Tool::"db");',
      },
      schema: SCHEMA,
      entities: ENTITIES,
    });
    expect(byId.policyIds).toEqual(['allow-ops', 'no-db']);
    expect(byId.isAuthorized(request('alice', 'shell'))).toEqual({
      decision: 'allow',
      policyIds: ['allow-ops'],
      errors: [],
    });
    expect(byId.isAuthorized(request('alice', 'db'))).toEqual({
      decision: 'deny',
      policyIds: ['no-db'],
      errors: [],
    });
  });

  it('numbers more than ten text policies the way Cedar reports them', () => {
    const text = Array.from(
      { length: 12 },
      (_, i) => `permit(principal, action, resource) when { context.n == ${i} };`,
    ).join('\n');
    const many = CedarEngine.load({ policies: text });
    expect(many.policyIds).toHaveLength(12);
    for (const i of [0, 2, 10, 11]) {
      const decision = many.isAuthorized({ ...request('x', 'y'), context: { n: i } });
      expect(decision).toEqual({ decision: 'allow', policyIds: [`policy${i}`], errors: [] });
    }
  });

  it('reports policies whose evaluation errored (overflow) and skips them', () => {
    const overflow = CedarEngine.load({
      policies: {
        boom: 'permit(principal, action, resource) when { context.n * 4611686018427387904 > 0 };',
        plain: 'permit(principal, action, resource) when { context.n == 2 };',
      },
    });
    expect(overflow.isAuthorized({ ...request('a', 'b'), context: { n: 2 } })).toEqual({
      decision: 'allow',
      policyIds: ['plain'],
      errors: ['boom'],
    });
    expect(overflow.isAuthorized({ ...request('a', 'b'), context: { n: 3 } })).toEqual({
      decision: 'deny',
      policyIds: [],
      errors: ['boom'],
    });
  });

  it('evaluates 64-bit literals written in policy text exactly', () => {
    const wide = CedarEngine.load({
      policies:
        'permit(principal, action, resource) when { 9223372036854775807 - context.n == 9223372036854775806 };',
    });
    expect(wide.isAuthorized({ ...request('a', 'b'), context: { n: 1 } }).decision).toBe('allow');
  });

  it('merges per-request entities with the loaded ones', () => {
    const perRequest = [
      {
        uid: { type: 'Agent', id: 'carol' },
        attrs: { level: 4, name: 'c' },
        parents: [{ type: 'Team', id: 'ops' }],
      },
    ];
    expect(engine.isAuthorized(request('carol', 'shell'), perRequest).decision).toBe('allow');
    expect(engine.isAuthorized(request('carol', 'shell')).decision).toBe('deny');
  });
});

describe('CedarEngine.load errors', () => {
  it('rejects a malformed policy with policy-invalid and the position of the problem', () => {
    const error = expectZtError(
      () =>
        CedarEngine.load({
          policies: 'permit(principal, action, resource);\nforbid(principal, action resource);',
        }),
      'policy-invalid',
    );
    expect(error.message).toMatch(/line 2/);
  });

  it('names the policy id of a malformed policy in a map', () => {
    const error = expectZtError(
      () =>
        CedarEngine.load({
          policies: {
            good: 'permit(principal, action, resource);',
            'bad-one': 'permit(principal, action, resource) when { 1 + };',
          },
        }),
      'policy-invalid',
    );
    expect(error.message).toContain('bad-one');
  });

  it('rejects a policy set that does not validate against the schema, naming the policy', () => {
    const error = expectZtError(
      () =>
        CedarEngine.load({
          policies: {
            fine: 'permit(principal, action == Action::"call", resource);',
            typo: 'permit(principal, action == Action::"call", resource) when { principal.levle > 1 };',
          },
          schema: SCHEMA,
        }),
      'policy-invalid',
    );
    expect(error.message).toContain('typo');
    expect(error.message).toContain('levle');
    expect(error.detail).toEqual({ policyId: 'typo' });
  });

  it('rejects a schema that does not parse', () => {
    expectZtError(
      () => CedarEngine.load({ policies: POLICIES, schema: 'entity Agent in [' }),
      'policy-invalid',
    );
  });

  it('keeps validator warnings without failing the load', () => {
    const engine = CedarEngine.load({
      policies: 'permit(principal, action == Action::"call", resource) when { false };',
      schema: SCHEMA,
    });
    expect(engine.warnings).toHaveLength(1);
    expect(engine.warnings[0]?.policyId).toBe('policy0');
  });

  it('evaluates unvalidated policies only when asked to', () => {
    const policies = 'permit(principal, action, resource) when { principal.missing == 1 };';
    expectZtError(() => CedarEngine.load({ policies, schema: SCHEMA }), 'policy-invalid');
    const engine = CedarEngine.load(
      { policies, schema: SCHEMA, entities: ENTITIES },
      { validatePolicies: false },
    );
    const decision = engine.isAuthorized(request('alice', 'shell'));
    expect(decision).toEqual({ decision: 'deny', policyIds: [], errors: ['policy0'] });
  });

  it('rejects templates', () => {
    expectZtError(
      () => CedarEngine.load({ policies: 'permit(principal == ?principal, action, resource);' }),
      'policy-invalid',
    );
  });

  it('rejects loaded entities that are malformed or carry an out-of-range integer', () => {
    expectZtError(
      () => CedarEngine.load({ policies: POLICIES, entities: [{ uid: 'nope' }] }),
      'policy-invalid',
    );
    expectZtError(
      () => CedarEngine.load({ policies: POLICIES, entities: { not: 'an array' } }),
      'policy-invalid',
    );
    const big = parseJsonLossless(
      '[{"uid":{"type":"Tool","id":"t"},"attrs":{"risk":9223372036854775807},"parents":[]}]',
    );
    expectZtError(
      () => CedarEngine.load({ policies: POLICIES, entities: big }),
      'value-out-of-range',
    );
  });

  it('throws TypeError for arguments of the wrong type', () => {
    expect(() => CedarEngine.load({ policies: 42 as unknown as string })).toThrow(TypeError);
    expect(() => CedarEngine.load({ policies: { a: 1 as unknown as string } })).toThrow(TypeError);
  });
});

describe('CedarEngine.isAuthorized never throws and never allows on failure', () => {
  const engine = loadDefault();

  it('returns value-out-of-range for integers the binding cannot carry', () => {
    const huge = parseJsonLossless('{"n": 9007199254740993, "tags": []}') as Record<
      string,
      unknown
    >;
    expect(isLosslessNumber(huge['n'])).toBe(true);
    for (const n of [
      huge['n'],
      2 ** 53,
      -(2 ** 53),
      2n ** 60n,
      1.5,
      Number.NaN,
      Infinity,
      new LosslessNumber('1.0'),
    ]) {
      const decision = engine.isAuthorized(request('root', 'shell', { n }));
      expectError(decision, 'value-out-of-range');
    }
    // The safe edge is carried exactly, and a small BigInt is accepted.
    expect(engine.isAuthorized(request('root', 'shell', { n: 2 ** 53 - 1 })).decision).toBe(
      'allow',
    );
    expect(engine.isAuthorized(request('root', 'shell', { n: 7n })).decision).toBe('allow');
  });

  it('returns value-out-of-range for an unsafe integer in per-request entities', () => {
    const entities = parseJsonLossless(
      '[{"uid":{"type":"Agent","id":"dave"},"attrs":{"level":-9223372036854775808,"name":"d"},"parents":[]}]',
    );
    expectError(engine.isAuthorized(request('dave', 'shell'), entities), 'value-out-of-range');
  });

  it('returns an error for malformed per-request entities', () => {
    expectError(
      engine.isAuthorized(request('alice', 'shell'), [{ uid: 42 }]),
      'policy-engine-error',
    );
    expectError(
      engine.isAuthorized(request('alice', 'shell'), { uid: 'x' }),
      'policy-engine-error',
    );
    // An entity that contradicts the schema.
    const wrongType = [{ uid: { type: 'Tool', id: 'pen' }, attrs: { risk: 'high' }, parents: [] }];
    expectError(engine.isAuthorized(request('alice', 'pen'), wrongType), 'policy-engine-error');
    // A second definition of a loaded entity.
    const duplicate = [{ uid: { type: 'Tool', id: 'shell' }, attrs: { risk: 0 }, parents: [] }];
    expectError(engine.isAuthorized(request('bob', 'shell'), duplicate), 'policy-engine-error');
  });

  it('returns an error for an unknown extension function in the context', () => {
    const noSchema = CedarEngine.load({ policies: 'permit(principal, action, resource);' });
    const context = { x: { __extn: { fn: 'nosuchfn', arg: '1' } } };
    expectError(noSchema.isAuthorized({ ...request('a', 'b'), context }), 'policy-engine-error');
  });

  it('returns an error for a request the schema does not allow', () => {
    expectError(
      engine.isAuthorized(request('alice', 'shell', { n: 'one' })),
      'policy-engine-error',
    );
    expectError(
      engine.isAuthorized({ ...request('alice', 'shell'), context: { tags: [] } }),
      'policy-engine-error',
    );
    expectError(
      engine.isAuthorized({ ...request('alice', 'shell'), principal: { type: 'Tool', id: 'db' } }),
      'policy-engine-error',
    );
  });

  it('returns an error for malformed requests and non-JSON values', () => {
    const bad: unknown[] = [
      null,
      { ...request('a', 'b'), principal: { type: 'Agent' } },
      { ...request('a', 'b'), action: 'call' },
      { ...request('a', 'b'), context: [] },
      { ...request('a', 'b'), context: null },
      { ...request('a', 'b'), context: { n: 1, tags: [], f: () => 1 } },
      { ...request('a', 'b'), context: { n: 1, tags: [], u: undefined } },
      { ...request('a', 'b'), context: { n: 1, tags: [], d: new Date(0) } },
      { ...request('a', 'b'), context: { n: 1, tags: [], s: Symbol('x') } },
    ];
    for (const input of bad) {
      expectError(engine.isAuthorized(input as CedarRequest), 'policy-engine-error');
    }
  });

  it('returns an error for cyclic, too deep or hostile context values', () => {
    const cyclic: Record<string, unknown> = { n: 1, tags: [] };
    cyclic['self'] = cyclic;
    expectError(
      engine.isAuthorized({ ...request('a', 'b'), context: cyclic }),
      'policy-engine-error',
    );
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    expectError(engine.isAuthorized(request('root', 'shell', { deep })), 'policy-engine-error');
    const hostile = { n: 1, tags: [] };
    Object.defineProperty(hostile, 'trap', {
      enumerable: true,
      get: () => {
        throw new Error('gotcha');
      },
    });
    expectError(
      engine.isAuthorized({ ...request('root', 'shell'), context: hostile }),
      'policy-engine-error',
    );
    // After all of that the engine still decides correctly.
    expect(engine.isAuthorized(request('alice', 'shell')).decision).toBe('allow');
  });

  it('does not let a "__proto__" key change what the engine sees', () => {
    const context = JSON.parse('{"n": 1, "tags": [], "__proto__": {"polluted": true}}') as Record<
      string,
      unknown
    >;
    // Undeclared context attribute: the schema rejects it rather than it vanishing.
    expectError(
      engine.isAuthorized({ ...request('alice', 'shell'), context }),
      'policy-engine-error',
    );
  });
});

describe('CedarEngine when the engine itself fails', () => {
  const real = (): CedarBindings => ({ ...cedar });

  it('turns a throwing engine call into error and restarts the runtime', () => {
    let loads = 0;
    let broken = true;
    const runtime = createCedarRuntime(() => {
      loads++;
      const bindings = real();
      return broken
        ? {
            ...bindings,
            statefulIsAuthorized: () => {
              throw new RangeError('Maximum call stack size exceeded');
            },
          }
        : bindings;
    });
    const engine = CedarEngine.load(
      { policies: POLICIES, schema: SCHEMA, entities: ENTITIES },
      { runtime },
    );
    const decision = engine.isAuthorized(request('alice', 'shell'));
    expectError(decision, 'policy-engine-error');
    expect(loads).toBe(1);
    broken = false;
    // The next call gets a fresh instance, preparses again and decides.
    expect(engine.isAuthorized(request('alice', 'shell')).decision).toBe('allow');
    expect(loads).toBe(2);
  });

  it('never allows on a malformed answer from the engine', () => {
    const answers: unknown[] = [
      undefined,
      { type: 'success', response: { decision: 'Allow', diagnostics: { reason: [], errors: [] } } },
      { type: 'success', response: { decision: 'allow' } },
      {
        type: 'success',
        response: { decision: 'allow', diagnostics: { reason: [1], errors: [] } },
      },
      {
        type: 'success',
        response: { decision: 'allow', diagnostics: { reason: [], errors: [{}] } },
      },
      { type: 'maybe' },
      {
        type: 'failure',
        errors: [{ message: 'nope', help: null, code: null, url: null, severity: null }],
      },
    ];
    for (const answer of answers) {
      const runtime = createCedarRuntime(() => ({
        ...real(),
        statefulIsAuthorized: () => answer as never,
      }));
      const engine = CedarEngine.load({ policies: POLICIES }, { runtime });
      expectError(engine.isAuthorized(request('root', 'shell')), 'policy-engine-error');
    }
  });

  it('rejects a policy that crashes the real engine at load, and other engines keep working', () => {
    const before = loadDefault();
    const nested = `permit(principal, action, resource) when { ${'('.repeat(400)}true${')'.repeat(400)} };`;
    expectZtError(() => CedarEngine.load({ policies: nested }), 'policy-invalid');
    // The wasm instance was replaced; the earlier engine preparses into the new one transparently.
    expect(before.isAuthorized(request('alice', 'shell')).decision).toBe('allow');
    expect(loadDefault().isAuthorized(request('alice', 'db')).decision).toBe('deny');
  });
});

describe('parseJsonLossless', () => {
  it('keeps safe integers as numbers and marks everything else', () => {
    const value = parseJsonLossless(
      '{"a": 9007199254740991, "b": 9007199254740992, "c": -9223372036854775808, "d": 1.5, "e": 1e3, "f": 0}',
    ) as Record<string, unknown>;
    expect(value['a']).toBe(9007199254740991);
    expect(value['f']).toBe(0);
    for (const key of ['b', 'c', 'd', 'e']) expect(isLosslessNumber(value[key])).toBe(true);
    expect(String(value['c'])).toBe('-9223372036854775808');
  });

  it('rejects invalid JSON and conflicting duplicate keys with invalid-json', () => {
    expectZtError(() => parseJsonLossless('{"a": 1,'), 'invalid-json');
    expectZtError(() => parseJsonLossless('{"a": 1, "a": 2}'), 'invalid-json');
    expect(() => parseJsonLossless(1 as unknown as string)).toThrow(TypeError);
  });

  it('round-trips every 64-bit integer without loss (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const parsed = parseJsonLossless(`[${n}]`) as unknown[];
        const safe = n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n;
        if (safe) return parsed[0] === Number(n);
        return isLosslessNumber(parsed[0]) && parsed[0].value === n.toString();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('preparsed path vs the official stateless call (differential, random inputs)', () => {
  const policies = `
permit(principal, action, resource) when { context.a + context.b > 10 };
forbid(principal, action, resource) when { context.a * context.b < -1000 };
permit(principal == Agent::"root", action, resource) unless { context.s like "*x*" };
permit(principal, action, resource) when { context.set.contains(context.a) && context.flag };
forbid(principal, action, resource) when { context has extra && context.extra == context.a - 9223372036854775807 };
permit(principal, action, resource) when { context.a >= 4611686018427387904 * 2 - 1 };
`;
  const engine = CedarEngine.load({ policies });
  const int = fc.oneof(
    fc.integer({ min: -20, max: 20 }),
    fc.integer(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52),
  );
  const contextArb = fc.record(
    {
      a: int,
      b: int,
      s: fc.string({ maxLength: 6 }),
      set: fc.array(int, { maxLength: 4 }),
      flag: fc.boolean(),
      extra: int,
    },
    { requiredKeys: ['a', 'b', 's', 'set', 'flag'] },
  );

  it('gives identical decisions, reasons and errors', () => {
    fc.assert(
      fc.property(fc.constantFrom('root', 'alice', ''), contextArb, (principal, context) => {
        const call = {
          principal: { type: 'Agent', id: principal },
          action: { type: 'Action', id: 'call' },
          resource: { type: 'Tool', id: 't' },
          context,
        };
        const ours = engine.isAuthorized(call);
        const reference = cedar.isAuthorized({
          ...call,
          policies: { staticPolicies: policies },
          entities: [],
        });
        if (reference.type !== 'success') return ours.decision === 'error';
        if (ours.decision === 'error') return false;
        const errored = [...new Set(reference.response.diagnostics.errors.map((e) => e.policyId))];
        return (
          ours.decision === reference.response.decision &&
          [...ours.policyIds].sort().join() ===
            [...reference.response.diagnostics.reason].sort().join() &&
          [...ours.errors].sort().join() === errored.sort().join()
        );
      }),
      { numRuns: 3000 },
    );
  });
});
