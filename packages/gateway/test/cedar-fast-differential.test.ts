// Differential tests of the pure-JS Cedar fast path (src/policy/fast) against the official engine:
// every request of Cedar's own corpus (handwritten + generated), then thousands of random policies
// and requests over the production schema. Whenever the fast path answers (not 'fallback'), its
// decision, determining policies and erroring policies MUST equal the official engine's (and, for
// the corpus, the file's expected answer).
import path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CedarEngine } from '../src/policy/cedar-engine.js';
import type { CedarDecision, CedarRequest } from '../src/policy/cedar-engine.js';
import { FastPolicySet } from '../src/policy/fast/index.js';
import {
  carriesUnsafeNumber,
  CEDAR_DIR,
  describeDecision,
  extractCorpus,
  listVectorFiles,
  readVector,
  sameSet,
} from './support/cedar-vectors.js';

interface Counts {
  files: number;
  filesCompiled: number;
  requests: number;
  /** Requests the fast path decided itself (allow, deny or a request error). */
  answered: number;
  /** Requests it handed to the official engine. */
  fallback: number;
  /** Requests of files whose policies or schema do not compile on the fast path. */
  notCompiled: number;
  /** Requests carrying integers beyond ±(2^53 − 1): both paths MUST say value-out-of-range. */
  outOfRange: number;
}

function emptyCounts(): Counts {
  return {
    files: 0,
    filesCompiled: 0,
    requests: 0,
    answered: 0,
    fallback: 0,
    notCompiled: 0,
    outOfRange: 0,
  };
}

function sameDecision(a: CedarDecision, b: CedarDecision): boolean {
  if (a.decision === 'error' || b.decision === 'error') {
    return a.decision === 'error' && b.decision === 'error' && a.code === b.code;
  }
  return (
    a.decision === b.decision && sameSet(a.policyIds, b.policyIds) && sameSet(a.errors, b.errors)
  );
}

/** The file's policies under Cedar's own ids (policy0, policy1, … in source order). */
function splitPolicies(text: string): Record<string, string> {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== 'success') throw new Error('corpus policies do not parse');
  // policySetTextToParts orders policies by Cedar's id as a string (policy0, policy1, policy10, …).
  const ids = parts.policies.map((_, i) => `policy${i}`).sort();
  return Object.fromEntries(parts.policies.map((policy, k) => [ids[k] as string, policy]));
}

/** Runs one vector file through the fast path and the official engine; returns differences. */
function runVector(baseDir: string, file: string, counts: Counts): string[] {
  const failures: string[] = [];
  const name = path.relative(baseDir, file);
  const { test, policies: text, schema, entities } = readVector(baseDir, file);
  counts.files++;
  const policies = splitPolicies(text);
  const fast = FastPolicySet.compile(policies, schema);
  if (fast !== undefined) counts.filesCompiled++;
  const reference = CedarEngine.load({ policies, schema }, { validatePolicies: false });
  const entitiesUnsafe = carriesUnsafeNumber(entities);

  for (const request of test.requests) {
    counts.requests++;
    if (fast === undefined) {
      counts.notCompiled++;
      continue;
    }
    const call: CedarRequest = {
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
    };
    const where = `${name} "${request.description}"`;
    const got = fast.isAuthorized(call, entities);
    if (got === 'fallback') {
      counts.fallback++;
      continue;
    }
    counts.answered++;
    const want = reference.isAuthorized(call, entities);
    if (!sameDecision(got, want)) {
      failures.push(`${where}: fast ${describeDecision(got)} != wasm ${describeDecision(want)}`);
      continue;
    }
    if (entitiesUnsafe || carriesUnsafeNumber(request.context)) {
      counts.outOfRange++;
      continue;
    }
    const expected: CedarDecision = {
      decision: request.decision,
      policyIds: request.reason,
      errors: request.errors,
    };
    if (!sameDecision(got, expected)) {
      failures.push(
        `${where}: fast ${describeDecision(got)} != expected ${describeDecision(expected)}`,
      );
    }
  }
  return failures;
}

const CORPUS_SLICES = 8;

describe('fast path vs official engine: Cedar integration tests', () => {
  let corpusDir = '';
  let removeCorpus = (): void => undefined;
  let corpusFiles: string[] = [];
  const corpus = emptyCounts();
  const corpusFailures: string[] = [];

  beforeAll(() => {
    ({ dir: corpusDir, remove: removeCorpus } = extractCorpus('zt4ai-fast-corpus-'));
    corpusFiles = listVectorFiles(path.join(corpusDir, 'corpus-tests'));
  });

  afterAll(() => {
    removeCorpus();
  }, 180_000);

  it('handwritten tests: every answer equals the engine and the expected one', () => {
    const counts = emptyCounts();
    const failures = listVectorFiles(path.join(CEDAR_DIR, 'tests')).flatMap((file) =>
      runVector(CEDAR_DIR, file, counts),
    );
    console.log('fast path, handwritten:', counts);
    expect(failures).toEqual([]);
    expect(counts.files).toBeGreaterThanOrEqual(20);
    // Most handwritten tests use ip/decimal (not on the fast path); the rest must be answered.
    expect(counts.filesCompiled).toBeGreaterThan(counts.files / 2);
    expect(counts.answered).toBeGreaterThan(20);
  });

  for (let slice = 0; slice < CORPUS_SLICES; slice++) {
    it(`generated corpus, slice ${slice + 1}/${CORPUS_SLICES}: every answer equals the engine and the expected one`, () => {
      const size = Math.ceil(corpusFiles.length / CORPUS_SLICES);
      const failures = corpusFiles
        .slice(slice * size, (slice + 1) * size)
        .flatMap((file) => runVector(corpusDir, file, corpus));
      corpusFailures.push(...failures);
      expect(failures.slice(0, 20)).toEqual([]);
    }, 180_000);
  }

  it('generated corpus: coverage totals', () => {
    const percent = (n: number): string => `${((100 * n) / corpus.requests).toFixed(1)}%`;
    console.log('fast path, corpus:', corpus, {
      answered: percent(corpus.answered),
      fallback: percent(corpus.fallback),
      notCompiled: percent(corpus.notCompiled),
    });
    expect(corpusFailures.length).toBe(0);
    expect(corpus.files).toBeGreaterThan(7500);
    expect(corpus.answered + corpus.fallback + corpus.notCompiled).toBe(corpus.requests);
    // What is left to the engine is almost all extension functions and values (see README.md).
    expect(corpus.filesCompiled).toBeGreaterThan(corpus.files * 0.8);
    expect(corpus.answered).toBeGreaterThan(corpus.requests * 0.65);
    expect(corpus.outOfRange).toBeGreaterThan(0);
  });
});

// --- Random policies and requests ---------------------------------------------------------------
//
// A seeded generator writes policy sets as Cedar text (every operator the fast path supports, with
// deliberate type confusion, overflow-prone arithmetic, missing attributes and entities) and
// requests with entities, in three worlds: the production schema with guard-shaped requests, a
// richer schema (Longs, entity-typed attributes, tags, enumerated ids, a deep hierarchy, action
// groups), and no schema at all (arbitrary JSON values, `__entity` escapes, cycles).

/** The seed of the whole run; printed, so a failure can be replayed. */
const SEED = 0x5eed_cedf;
const SETS_PER_WORLD = 1200;
const REQUESTS_PER_SET = 5;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = prng(seed);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)] as T;
  }
  some<T>(items: readonly T[], max = items.length): T[] {
    const count = this.int(0, Math.min(max, items.length));
    return Array.from({ length: count }, () => this.pick(items));
  }
}

type Kind = 'bool' | 'long' | 'string' | 'entity' | 'set' | 'record';
const KINDS: readonly Kind[] = ['bool', 'long', 'string', 'entity', 'set', 'record'];

/** What policies of a world may refer to (as Cedar text). */
interface World {
  name: string;
  schema: string | undefined;
  /** Expressions of each kind, e.g. `context.granted`, `principal.name`. */
  paths: Record<Kind, readonly string[]>;
  entities: readonly string[];
  types: readonly string[];
  attrs: readonly string[];
  tags: readonly string[];
  actions: readonly string[];
  request(random: Random): { request: CedarRequest; entities: unknown[] };
}

const STRINGS = [
  '',
  'a',
  'ab',
  'confidential',
  'internal',
  'q"uote',
  'back\\slash',
  'ünï',
  '*',
  'a*b',
  'aa',
  'aab',
  'ba',
];
const LIKE_PATTERNS = [
  '"*"',
  '""',
  '"a*"',
  '"*b"',
  '"a*b"',
  '"*a*b*"',
  '"\\*"',
  '"a\\*b"',
  '"conf*al"',
  '"**"',
  '"ü*"',
  '"*a*a"',
  '"a*a"',
  '"*ab*b"',
  '"a*a*b"',
];
const LONGS = [
  0, 1, -1, 2, 7, -7, 100, 3037000499, 3037000500, 4294967296, 9007199254740991, -9007199254740991,
];

function cedarString(text: string): string {
  return JSON.stringify(text);
}

/** Random Cedar expressions of (usually) the asked kind. */
class ExpressionGenerator {
  constructor(
    private readonly random: Random,
    private readonly world: World,
  ) {}

  expr(kind: Kind, depth: number): string {
    const r = this.random;
    // Type confusion: evaluation errors Cedar must report the same way.
    if (r.chance(0.06)) kind = r.pick(KINDS);
    if (depth <= 0 || r.chance(0.3)) return this.leaf(kind);
    const d = depth - 1;
    if (r.chance(0.08))
      return `(if ${this.expr('bool', d)} then ${this.expr(kind, d)} else ${this.expr(kind, d)})`;
    if (r.chance(0.08))
      return `(${this.expr(r.pick(['record', 'entity'] as const), d)})[${cedarString(r.pick(this.world.attrs))}]`;
    switch (kind) {
      case 'bool':
        return this.boolOp(d);
      case 'long':
        return this.longOp(d);
      case 'string':
        return r.chance(0.5)
          ? this.leaf('string')
          : `${this.expr('entity', d)}.getTag(${cedarString(r.pick(this.world.tags))})`;
      case 'entity':
        return this.leaf('entity');
      case 'set':
        return `[${Array.from({ length: r.int(0, 3) }, () => this.expr(r.pick(KINDS), d)).join(', ')}]`;
      case 'record': {
        const fields = r.some(this.world.attrs, 3);
        return `{${[...new Set(fields)].map((f) => `${cedarString(f)}: ${this.expr(r.pick(KINDS), d)}`).join(', ')}}`;
      }
    }
  }

  private boolOp(d: number): string {
    const r = this.random;
    const any = (): string => this.expr(r.pick(KINDS), d);
    switch (r.int(0, 17)) {
      case 0:
        return `!${this.expr('bool', d)}`;
      case 1:
        return `(${this.expr('bool', d)} && ${this.expr('bool', d)})`;
      case 2:
        return `(${this.expr('bool', d)} || ${this.expr('bool', d)})`;
      case 3: {
        const kind = r.pick(KINDS);
        return `(${this.expr(kind, d)} ${r.pick(['==', '!='])} ${this.expr(r.chance(0.8) ? kind : r.pick(KINDS), d)})`;
      }
      case 4:
        return `(${this.expr('long', d)} ${r.pick(['<', '<=', '>', '>='])} ${this.expr('long', d)})`;
      case 5:
        return `(${this.expr('entity', d)} in ${this.expr('entity', d)})`;
      case 6:
        return `(${this.expr('entity', d)} in [${[...r.some(this.world.entities, 3), ...(r.chance(0.1) ? ['1'] : [])].join(', ')}])`;
      case 7:
        return `(${this.expr('string', d)} like ${r.pick(LIKE_PATTERNS)})`;
      case 8:
        return `(${this.expr('entity', d)} is ${r.pick(this.world.types)})`;
      case 9:
        return `(${this.expr('entity', d)} is ${r.pick(this.world.types)} in ${r.chance(0.7) ? r.pick(this.world.entities) : this.expr('entity', d)})`;
      case 10: {
        const path = r.some(this.world.attrs, 3);
        const attrs = path.length === 0 ? [r.pick(this.world.attrs)] : path;
        const simple = attrs.every((a) => /^[a-z]+$/.test(a));
        return simple
          ? `(${this.expr(r.pick(['record', 'entity'] as const), d)} has ${attrs.join('.')})`
          : `(${this.expr(r.pick(['record', 'entity'] as const), d)} has ${cedarString(attrs[0] as string)})`;
      }
      case 11:
        return `${this.expr('set', d)}.contains(${any()})`;
      case 12:
        return `${this.expr('set', d)}.${r.pick(['containsAll', 'containsAny'])}(${this.expr('set', d)})`;
      case 13:
        return `${this.expr('set', d)}.isEmpty()`;
      case 14:
        return `${this.expr('entity', d)}.hasTag(${r.chance(0.9) ? cedarString(r.pick(this.world.tags)) : any()})`;
      default:
        return this.leaf('bool');
    }
  }

  private longOp(d: number): string {
    const r = this.random;
    switch (r.int(0, 5)) {
      case 0:
        return `(${this.expr('long', d)} + ${this.expr('long', d)})`;
      case 1:
        return `(${this.expr('long', d)} - ${this.expr('long', d)})`;
      case 2:
        return `(${this.expr('long', d)} * ${this.expr('long', d)})`;
      case 3:
        return `(-${this.expr('long', d)})`;
      case 4:
        return `${this.expr('entity', d)}.getTag(${cedarString(r.pick(this.world.tags))})`;
      default:
        return this.leaf('long');
    }
  }

  leaf(kind: Kind): string {
    const r = this.random;
    const paths = this.world.paths[kind];
    if (paths.length > 0 && r.chance(0.5)) return r.pick(paths);
    switch (kind) {
      case 'bool':
        return r.pick(['true', 'false']);
      case 'long': {
        const n = r.pick(LONGS);
        // A negative literal needs no parentheses in Cedar, but `- -1` reads better with them.
        return n < 0 ? `(${n})` : String(n);
      }
      case 'string':
        return cedarString(r.pick(STRINGS));
      case 'entity':
        return r.pick([...this.world.entities, 'principal', 'resource', 'action']);
      case 'set':
        return r.pick(['[]', `[${r.pick(this.world.entities)}]`, '[1, 2]', '["a", "ab"]']);
      case 'record':
        return r.pick(['{}', 'context', '{"a": 1}']);
    }
  }

  scope(variable: 'principal' | 'resource'): string {
    const r = this.random;
    switch (r.int(0, 7)) {
      case 0:
        return `${variable} == ${r.pick(this.world.entities)}`;
      case 1:
        return `${variable} in ${r.pick(this.world.entities)}`;
      case 2:
        return `${variable} is ${r.pick(this.world.types)}`;
      case 3:
        return `${variable} is ${r.pick(this.world.types)} in ${r.pick(this.world.entities)}`;
      default:
        return variable;
    }
  }

  actionScope(): string {
    const r = this.random;
    switch (r.int(0, 5)) {
      case 0:
        return `action == ${r.pick(this.world.actions)}`;
      case 1:
        return `action in ${r.pick(this.world.actions)}`;
      case 2:
        return `action in [${r.some(this.world.actions, 3).join(', ')}]`;
      default:
        return 'action';
    }
  }

  policy(): string {
    const r = this.random;
    const clauses = Array.from({ length: r.int(0, 3) }, () => {
      const body = this.expr(r.chance(0.95) ? 'bool' : r.pick(KINDS), r.int(1, 4));
      return ` ${r.chance(0.75) ? 'when' : 'unless'} { ${body} }`;
    });
    return `${r.chance(0.6) ? 'permit' : 'forbid'} (${this.scope('principal')}, ${this.actionScope()}, ${this.scope('resource')})${clauses.join('')};`;
  }
}

/** Production: the shipped schema, guard-shaped requests (see guard.ts `cedarRequest`, `entities`). */
function productionWorld(schema: string): World {
  const agents = ['a1', 'a2', 'q"uote'];
  const tools = ['db/query', 'web/fetch', 'x'];
  const actions = ['tools/call', 'resources/read', 'prompts/get', 'llm/complete', 'http/request'];
  const set = (r: Random, pool: readonly string[]): string[] => [...new Set(r.some(pool, 3))];
  const facts = (r: Random, names: readonly string[]): Record<string, unknown> =>
    Object.fromEntries(names.map((n) => [n, r.chance(0.3)]));
  return {
    name: 'production schema',
    schema,
    paths: {
      bool: [
        'context.granted',
        'context.tool.privileged',
        'context.sql.destructive',
        'context.egress.present',
        'context.egress.allowed',
        'context.path.present',
        'context.secrets.found',
        'resource.honeytoken',
        'resource.privileged',
      ],
      long: [],
      string: [
        'context.tool.name',
        'context.tool.sink',
        'context.tool.server',
        'principal.name',
        'principal.owner',
        'resource.sink',
      ],
      entity: ['principal', 'resource', 'action'],
      set: [
        'context.sql.kinds',
        'context.labels.flowing',
        'context.labels.session',
        'context.egress.addressClasses',
      ],
      record: ['context', 'context.tool', 'context.sql', 'context.labels'],
    },
    entities: [
      'Team::"t1"',
      'Team::"t2"',
      'Mission::"m1"',
      'Server::"db"',
      'Agent::"a1"',
      'Tool::"db/query"',
      'Action::"read"',
      'Action::"egress"',
      'Action::"tools/call"',
    ],
    types: ['Agent', 'Tool', 'Team', 'Mission', 'Server', 'Action'],
    attrs: ['name', 'owner', 'sink', 'granted', 'tool', 'kinds', 'missing', 'a b'],
    tags: ['t', 'name'],
    actions: [
      'Action::"read"',
      'Action::"egress"',
      'Action::"tools/call"',
      'Action::"http/request"',
      'Action::"write"',
    ],
    request(r) {
      const agent = r.pick(agents);
      const tool = r.pick(tools);
      const context: Record<string, unknown> = {
        granted: r.chance(0.6),
        tool: {
          name: tool,
          server: tool.split('/')[0],
          honeytoken: r.chance(0.1),
          privileged: r.chance(0.3),
          sink: r.pick(['internal', 'external']),
          confusable: r.chance(0.1),
        },
        sql: {
          ...facts(r, [
            'present',
            'parseError',
            'destructive',
            'unboundedWrite',
            'multipleStatements',
          ]),
          kinds: set(r, ['select', 'insert', 'delete']),
        },
        shell: facts(r, [
          'present',
          'parseError',
          'dangerous',
          'recursiveDeleteOfRoot',
          'pipesDownloadToShell',
          'reverseShell',
        ]),
        egress: {
          ...facts(r, [
            'present',
            'parseError',
            'allowed',
            'listed',
            'cloudMetadata',
            'userinfo',
            'confusable',
          ]),
          addressClasses: set(r, ['public', 'private', 'loopback']),
        },
        path: facts(r, [
          'present',
          'parseError',
          'allowed',
          'escapesRoot',
          'climbsAboveStart',
          'encodedTraversal',
          'nulByte',
        ]),
        secrets: { found: r.chance(0.2), kinds: set(r, ['aws', 'github']) },
        pii: { found: r.chance(0.2), kinds: set(r, ['email']) },
        labels: {
          flowing: set(r, ['confidential', 'public']),
          session: set(r, ['untrusted', 'internal']),
        },
      };
      // Now and then a context that does not conform (missing field, wrong type, extra field).
      if (r.chance(0.04)) delete context['granted'];
      if (r.chance(0.04)) context['granted'] = 'yes';
      if (r.chance(0.04)) context['extra'] = 1;
      const entities: unknown[] = [];
      if (r.chance(0.85)) {
        const attrs: Record<string, unknown> = { name: r.pick(STRINGS), owner: r.pick(STRINGS) };
        if (r.chance(0.03)) delete attrs['owner'];
        if (r.chance(0.03)) attrs['name'] = 1;
        const parents = [...new Set(r.some(['t1', 't2'], 2))].map((id) => ({ type: 'Team', id }));
        if (r.chance(0.3)) parents.push({ type: 'Mission', id: 'm1' });
        if (r.chance(0.03)) parents.push({ type: 'Server', id: 'db' });
        entities.push({ uid: { type: 'Agent', id: agent }, attrs, parents });
      }
      if (r.chance(0.85)) {
        const server = tool.includes('/') ? [{ type: 'Server', id: tool.split('/')[0] }] : [];
        entities.push({
          uid: { type: 'Tool', id: tool },
          attrs: {
            honeytoken: r.chance(0.1),
            privileged: r.chance(0.3),
            sink: r.pick(['internal', 'external']),
          },
          parents: server,
        });
      }
      if (r.chance(0.2)) entities.push({ uid: { type: 'Team', id: 't1' }, attrs: {}, parents: [] });
      if (r.chance(0.05))
        entities.push({
          uid: { type: 'Action', id: 'resources/read' },
          attrs: {},
          parents: [{ type: 'Action', id: 'read' }],
        });
      const action = r.chance(0.97) ? r.pick(actions) : r.pick(['read', 'nope']);
      return {
        request: {
          principal: { type: 'Agent', id: agent },
          action: { type: 'Action', id: action },
          resource: { type: 'Tool', id: tool },
          context,
        },
        entities,
      };
    },
  };
}

const RICH_SCHEMA = `
entity Team in [Team] { level: Long } tags Long;
entity Agent in [Team] { name: String, level: Long, boss?: Agent, teams: Set<Team>, profile: { age: Long, nick?: String, flags: Set<Long> } } tags String;
entity Tool { owner: Agent, weight: Long };
entity Color enum ["red", "green"];
action "read";
action "write" in ["read"];
action "call" in ["write"] appliesTo { principal: [Agent], resource: [Tool, Team], context: { n: Long, s: String, b: Bool, who?: Agent, list: Set<Long>, rec: { x: Long, y?: String }, color?: Color } };
action "peek" in ["read"] appliesTo { principal: [Agent, Team], resource: [Tool], context: {} };
`;

/** A richer schema: Longs near the limits, entity-typed attributes, tags, enums, deep teams. */
function richWorld(): World {
  const teams = ['t0', 't1', 't2', 't3', 't4', 't5', 't6'];
  const longValue = (r: Random): number => r.pick(LONGS);
  return {
    name: 'rich schema',
    schema: RICH_SCHEMA,
    paths: {
      bool: ['context.b'],
      long: [
        'context.n',
        'principal.level',
        'resource.weight',
        'context.rec.x',
        'principal.profile.age',
        'resource.level',
      ],
      string: [
        'context.s',
        'principal.name',
        'context.rec.y',
        'principal.profile.nick',
        'principal.boss.name',
      ],
      entity: ['principal.boss', 'resource.owner', 'context.who', 'context.color'],
      set: ['context.list', 'principal.teams', 'principal.profile.flags'],
      record: ['context.rec', 'principal.profile', 'context'],
    },
    entities: teams
      .map((t) => `Team::"${t}"`)
      .concat(['Agent::"a1"', 'Agent::"a2"', 'Tool::"w"', 'Color::"red"', 'Color::"blue"']),
    types: ['Agent', 'Tool', 'Team', 'Color', 'Action'],
    attrs: ['name', 'level', 'boss', 'profile', 'age', 'nick', 'x', 'y', 'who', 'missing'],
    tags: ['t', 'u', 'level'],
    actions: ['Action::"read"', 'Action::"write"', 'Action::"call"', 'Action::"peek"'],
    request(r) {
      const depth = r.int(0, teams.length - 1);
      const entities: unknown[] = [];
      // A chain t0 in t1 in … in t(depth), sometimes with a shortcut.
      for (let i = 0; i <= depth; i++) {
        const parents = i < depth ? [{ type: 'Team', id: teams[i + 1] }] : [];
        if (r.chance(0.1)) parents.push({ type: 'Team', id: r.pick(teams) }); // may close a cycle
        const tags = r.chance(0.3) ? { t: longValue(r), level: i } : undefined;
        entities.push({
          uid: { type: 'Team', id: teams[i] },
          attrs: { level: i },
          parents,
          ...(tags === undefined ? {} : { tags }),
        });
      }
      const agentAttrs = (): Record<string, unknown> => ({
        name: r.pick(STRINGS),
        level: longValue(r),
        ...(r.chance(0.5) ? { boss: { type: 'Agent', id: r.pick(['a1', 'a2', 'a3']) } } : {}),
        teams: r
          .some(teams, 3)
          .map((id) => (r.chance(0.5) ? { type: 'Team', id } : { __entity: { type: 'Team', id } })),
        profile: {
          age: longValue(r),
          ...(r.chance(0.5) ? { nick: r.pick(STRINGS) } : {}),
          flags: r.some(LONGS, 3),
        },
      });
      for (const id of ['a1', 'a2']) {
        if (r.chance(0.8)) {
          const tags = r.chance(0.4) ? { t: r.pick(STRINGS), u: 'x' } : undefined;
          entities.push({
            uid: { type: 'Agent', id },
            attrs: agentAttrs(),
            parents: r.some(teams, 2).map((t) => ({ type: 'Team', id: t })),
            ...(tags === undefined ? {} : { tags }),
          });
        }
      }
      if (r.chance(0.8))
        entities.push({
          uid: { type: 'Tool', id: 'w' },
          attrs: { owner: { type: 'Agent', id: r.pick(['a1', 'a2', 'a9']) }, weight: longValue(r) },
          parents: [],
        });
      if (r.chance(0.05))
        (entities[0] as { attrs: Record<string, unknown> }).attrs['level'] = 'high';
      if (r.chance(0.05))
        entities.push({
          uid: { type: 'Action', id: 'call' },
          attrs: {},
          parents: [
            { type: 'Action', id: 'write' },
            { type: 'Action', id: 'read' },
          ],
        });
      const action = r.pick(['call', 'call', 'call', 'peek']);
      const context =
        action === 'peek'
          ? {}
          : {
              n: longValue(r),
              s: r.pick(STRINGS),
              b: r.chance(0.5),
              ...(r.chance(0.5) ? { who: { type: 'Agent', id: r.pick(['a1', 'a2', 'a3']) } } : {}),
              list: r.some(LONGS, 3),
              rec: { x: longValue(r), ...(r.chance(0.5) ? { y: r.pick(STRINGS) } : {}) },
              ...(r.chance(0.3)
                ? { color: { type: 'Color', id: r.pick(['red', 'green', 'blue']) } }
                : {}),
            };
      const principal = r.chance(0.9)
        ? { type: 'Agent', id: r.pick(['a1', 'a2', 'a3']) }
        : { type: 'Team', id: 't0' };
      const resource = r.chance(0.7)
        ? { type: 'Tool', id: 'w' }
        : { type: 'Team', id: r.pick(teams) };
      return {
        request: { principal, action: { type: 'Action', id: action }, resource, context },
        entities,
      };
    },
  };
}

/** No schema: arbitrary JSON attribute values, escapes, action groups from entity data, cycles. */
function schemalessWorld(): World {
  const ids = ['a', 'b', 'c', 'd'];
  const types = ['A', 'B', 'N::C'];
  const uid = (r: Random): { type: string; id: string } => ({
    type: r.pick(types),
    id: r.pick(ids),
  });
  const value = (r: Random, depth: number): unknown => {
    switch (r.int(0, depth > 0 ? 8 : 3)) {
      case 0:
        return r.chance(0.5);
      case 1:
        return r.pick(LONGS);
      case 2:
        return r.pick(STRINGS);
      case 3:
        return { __entity: uid(r) };
      case 4:
        return uid(r); // a record with type and id, not an entity, without a schema
      case 5:
      case 6:
        return Array.from({ length: r.int(0, 3) }, () => value(r, depth - 1));
      case 7:
        return r.chance(0.05) ? { __extn: { fn: 'decimal', arg: '1.0' } } : record(r, depth - 1);
      default:
        return record(r, depth - 1);
    }
  };
  const record = (r: Random, depth: number): Record<string, unknown> =>
    Object.fromEntries(r.some(['x', 'y', 'z', 'name', 'a b'], 3).map((k) => [k, value(r, depth)]));
  return {
    name: 'no schema',
    schema: undefined,
    paths: {
      bool: ['context.x', 'principal.x'],
      long: ['context.y', 'principal.y', 'resource.y'],
      string: ['context.name', 'principal.name'],
      entity: ['context.z', 'principal.z', 'resource.x'],
      set: ['context.x', 'principal.z', 'context.y'],
      record: ['context', 'principal.x', 'context.z'],
    },
    entities: ['A::"a"', 'A::"b"', 'B::"a"', 'B::"c"', 'N::C::"d"', 'Action::"g"', 'Action::"h"'],
    types: ['A', 'B', 'N::C', 'Action'],
    attrs: ['x', 'y', 'z', 'name', 'type', 'id', 'a b', 'missing'],
    tags: ['x', 'y'],
    actions: ['Action::"g"', 'Action::"h"', 'Action::"do"'],
    request(r) {
      const entities: unknown[] = [];
      const seen = new Set<string>();
      for (let i = r.int(0, 6); i > 0; i--) {
        const id = uid(r);
        const key = `${id.type}::${id.id}`;
        if (seen.has(key) && r.chance(0.9)) continue; // duplicates only now and then
        seen.add(key);
        const tags = r.chance(0.3) ? record(r, 1) : undefined;
        entities.push({
          uid: id,
          attrs: record(r, 2),
          parents: r.some([0, 1, 2], 2).map(() => uid(r)),
          ...(tags === undefined ? {} : { tags }),
        });
      }
      if (r.chance(0.5))
        entities.push({
          uid: { type: 'Action', id: 'do' },
          attrs: record(r, 1),
          parents: [{ type: 'Action', id: r.pick(['g', 'h']) }],
        });
      if (r.chance(0.3))
        entities.push({
          uid: { type: 'Action', id: 'g' },
          attrs: {},
          parents: [{ type: 'Action', id: 'h' }],
        });
      return {
        request: {
          principal: uid(r),
          action: { type: 'Action', id: r.pick(['do', 'g', 'x']) },
          resource: uid(r),
          context: record(r, 2),
        },
        entities,
      };
    },
  };
}

interface RandomCounts {
  sets: number;
  compiled: number;
  requests: number;
  answered: number;
  fallback: number;
  allow: number;
  deny: number;
  requestErrors: number;
  policyErrors: number;
}

function runWorld(world: World, seed: number): { counts: RandomCounts; failures: string[] } {
  const random = new Random(seed);
  const generator = new ExpressionGenerator(random, world);
  const counts: RandomCounts = {
    sets: 0,
    compiled: 0,
    requests: 0,
    answered: 0,
    fallback: 0,
    allow: 0,
    deny: 0,
    requestErrors: 0,
    policyErrors: 0,
  };
  const failures: string[] = [];
  for (let n = 0; n < SETS_PER_WORLD && failures.length < 10; n++) {
    const texts = Array.from({ length: random.int(1, 5) }, () => generator.policy());
    const policies = Object.fromEntries(texts.map((text, i) => [`p${i}`, text]));
    counts.sets++;
    const fast = FastPolicySet.compile(policies, world.schema);
    if (fast === undefined) continue;
    counts.compiled++;
    const reference = CedarEngine.load(
      world.schema === undefined ? { policies } : { policies, schema: world.schema },
      { validatePolicies: false, validateRequests: random.chance(0.5) },
    );
    for (let k = 0; k < REQUESTS_PER_SET; k++) {
      const { request, entities } = world.request(random);
      counts.requests++;
      // The fast path gets its own copy: it must not depend on the caller's objects afterwards.
      const got = fast.isAuthorized(structuredClone(request), structuredClone(entities));
      if (got === 'fallback') {
        counts.fallback++;
        continue;
      }
      counts.answered++;
      if (got.decision === 'error') counts.requestErrors++;
      else {
        counts[got.decision]++;
        if (got.errors.length > 0) counts.policyErrors++;
      }
      const want = reference.isAuthorized(request, entities);
      if (!sameDecision(got, want)) {
        failures.push(
          `${world.name}, seed ${seed}, set ${n}: fast ${describeDecision(got)} != wasm ${describeDecision(want)}\npolicies:\n${texts.join('\n')}\nrequest: ${JSON.stringify(request)}\nentities: ${JSON.stringify(entities)}`,
        );
      }
    }
  }
  return { counts, failures };
}

describe('fast path vs official engine: random policies and requests', () => {
  let productionSchema = '';
  beforeAll(async () => {
    const { readFile } = await import('node:fs/promises');
    productionSchema = await readFile(
      new URL('../policies/schema.cedarschema', import.meta.url),
      'utf8',
    );
  });

  const worlds: [string, () => World, number][] = [
    ['production schema', () => productionWorld(productionSchema), SEED],
    ['rich schema', richWorld, SEED + 1],
    ['no schema', schemalessWorld, SEED + 2],
  ];
  for (const [name, world, seed] of worlds) {
    it(`${name}: every answer equals the engine (seed ${seed})`, () => {
      const { counts, failures } = runWorld(world(), seed);
      console.log(`fast path, random (${name}, seed ${seed}):`, counts);
      expect(failures).toEqual([]);
      expect(counts.requests).toBeGreaterThan(1000);
      expect(counts.answered).toBeGreaterThan(counts.requests / 2);
      expect(counts.allow).toBeGreaterThan(0);
      expect(counts.deny).toBeGreaterThan(0);
      expect(counts.policyErrors).toBeGreaterThan(0);
      expect(counts.fallback).toBeGreaterThan(0);
    }, 180_000);
  }
});
