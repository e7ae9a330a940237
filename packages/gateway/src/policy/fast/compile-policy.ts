// Compiles one Cedar policy, in the official parser's JSON form (EST), into a JS closure with Cedar's
// evaluation semantics: scope, then `when`/`unless` clauses in order, short-circuit `&&`/`||`/`if`,
// type errors and overflow as evaluation errors (the policy is skipped and reported). Hand-written
// because no maintained JS Cedar evaluator exists on npm; it is a fast path and the official engine
// stays the reference (differential tests: test/cedar-fast-differential.test.ts).
//
// A construct this module does not implement (extension functions, template slots) makes the policy
// not compilable: the caller keeps using the official engine for the whole set.
import type { EntityStore } from './entities.js';
import { compileLikePattern, likeMatches } from './like.js';
import { BoundedMemo } from './memo.js';
import { policyToEst } from './official-parser.js';
import { entityRef, plainValue } from './parse-value.js';
import {
  EVALUATION_ERROR,
  EntityUid,
  FastPathUnsupported,
  addLong,
  containsAll,
  containsAny,
  isRecord,
  multiplyLong,
  negateLong,
  setContains,
  subtractLong,
  valueEquals,
} from './values.js';
import type { CedarRecord, CedarSet, CedarValue } from './values.js';

/** What a policy is evaluated against. */
export interface Environment {
  readonly principal: EntityUid;
  readonly action: EntityUid;
  readonly resource: EntityUid;
  readonly context: CedarRecord;
  readonly entities: EntityStore;
}

export interface CompiledPolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  /**
   * True when the policy is satisfied. Throws EVALUATION_ERROR where Cedar raises an evaluation
   * error, UNSUPPORTED where the fast path cannot follow Cedar exactly.
   */
  readonly satisfied: (env: Environment) => boolean;
}

type Evaluate = (env: Environment) => CedarValue;
type Test = (env: Environment) => boolean;

/** Nesting bound for the EST; deeper policies are left to the engine. */
const MAX_DEPTH = 512;

class NotCompilable extends Error {}
const NOT_COMPILABLE = new NotCompilable('not compilable by the fast path');

type CompiledBody = Omit<CompiledPolicy, 'id'>;

/** Compiled policies by text (null: parsed, but not supported by the fast path). */
const compiled = new BoundedMemo<CompiledBody | null>(8192);

/** The compiled policy, or undefined when it uses a construct the fast path does not support. */
export function compilePolicy(id: string, text: string): CompiledPolicy | undefined {
  let body = compiled.get(text);
  if (body === undefined) {
    const est = policyToEst(text);
    // A text the official parser rejects (or crashed on) is not remembered.
    if (est === undefined) return undefined;
    body = fromEst(est);
    compiled.set(text, body);
  }
  return body === null ? undefined : { id, ...body };
}

function fromEst(est: unknown): CompiledBody | null {
  try {
    return compileEst(est);
  } catch (error) {
    if (error instanceof NotCompilable || error instanceof FastPathUnsupported) return null;
    throw error;
  }
}

function compileEst(est: unknown): CompiledBody {
  const policy = object(est);
  const effect = policy['effect'];
  if (effect !== 'permit' && effect !== 'forbid') throw NOT_COMPILABLE;
  const tests: Test[] = [
    principalOrResourceScope(policy['principal'], (env) => env.principal),
    actionScope(policy['action']),
    principalOrResourceScope(policy['resource'], (env) => env.resource),
    ...conditions(policy['conditions']),
  ].filter((test): test is Test => test !== undefined);
  return { effect, satisfied: all(tests) };
}

function all(tests: readonly Test[]): Test {
  return (env) => {
    for (const test of tests) if (!test(env)) return false;
    return true;
  };
}

// --- Scope -----------------------------------------------------------------------------------

/** The scope test, or undefined for `All`. Scope tests never raise errors. */
function principalOrResourceScope(
  json: unknown,
  variable: (env: Environment) => EntityUid,
): Test | undefined {
  const scope = object(json);
  switch (scope['op']) {
    case 'All':
      return undefined;
    case '==': {
      const target = scopeEntity(scope['entity']);
      return (env) => variable(env).key === target.key;
    }
    case 'in': {
      const target = scopeEntity(scope['entity']);
      return (env) => env.entities.isIn(variable(env), target);
    }
    case 'is': {
      const type = scope['entity_type'];
      if (typeof type !== 'string') throw NOT_COMPILABLE;
      if (scope['in'] === undefined) return (env) => variable(env).type === type;
      const target = scopeEntity(object(scope['in'])['entity']);
      return (env) => variable(env).type === type && env.entities.isIn(variable(env), target);
    }
    default:
      throw NOT_COMPILABLE;
  }
}

function actionScope(json: unknown): Test | undefined {
  const scope = object(json);
  if (scope['op'] === 'in' && Array.isArray(scope['entities'])) {
    const targets = (scope['entities'] as unknown[]).map(scopeEntity);
    return (env) => targets.some((target) => env.entities.isIn(env.action, target));
  }
  if (scope['op'] === 'is') throw NOT_COMPILABLE;
  return principalOrResourceScope(json, (env) => env.action);
}

/** An entity in a scope (`{type, id}` or `{"__entity": …}`); a template slot is not supported. */
function scopeEntity(json: unknown): EntityUid {
  if (json === undefined) throw NOT_COMPILABLE;
  return entityRef(json);
}

// --- Conditions ------------------------------------------------------------------------------

function conditions(json: unknown): Test[] {
  if (!Array.isArray(json)) throw NOT_COMPILABLE;
  return json.map((clause: unknown) => {
    const { kind, body } = object(clause);
    const evaluate = expression(body, 0);
    if (kind === 'when') return (env) => asBool(evaluate(env));
    if (kind === 'unless') return (env) => !asBool(evaluate(env));
    throw NOT_COMPILABLE;
  });
}

/** One EST node: an object with exactly one key, the operator. */
function expression(json: unknown, depth: number): Evaluate {
  if (depth > MAX_DEPTH) throw NOT_COMPILABLE;
  const node = object(json);
  const keys = Object.keys(node);
  if (keys.length !== 1) throw NOT_COMPILABLE;
  const op = keys[0] as string;
  const arg = node[op];
  const next = depth + 1;
  switch (op) {
    case 'Value':
      return constant(plainValue(arg));
    case 'Var':
      return variable(arg);
    case 'Set':
      return setLiteral(arg, next);
    case 'Record':
      return recordLiteral(arg, next);
    case '!':
    case 'neg':
    case 'isEmpty':
      return unary(op, expression(object(arg)['arg'], next));
    case '.':
    case 'has':
      return attribute(op, object(arg), next);
    case 'like':
      return like(object(arg), next);
    case 'is':
      return isType(object(arg), next);
    case 'if-then-else': {
      const parts = object(arg);
      return conditional(
        expression(parts['if'], next),
        expression(parts['then'], next),
        expression(parts['else'], next),
      );
    }
    default: {
      const parts = object(arg);
      return binary(op, expression(parts['left'], next), expression(parts['right'], next));
    }
  }
}

function variable(name: unknown): Evaluate {
  switch (name) {
    case 'principal':
      return (env) => env.principal;
    case 'action':
      return (env) => env.action;
    case 'resource':
      return (env) => env.resource;
    case 'context':
      return (env) => env.context;
    default:
      throw NOT_COMPILABLE;
  }
}

/** Evaluators of values known at compile time (literals, and sets and records of them). */
const constants = new WeakMap<Evaluate, CedarValue>();

function constant(value: CedarValue): Evaluate {
  const evaluate: Evaluate = () => value;
  constants.set(evaluate, value);
  return evaluate;
}

function setLiteral(json: unknown, depth: number): Evaluate {
  if (!Array.isArray(json)) throw NOT_COMPILABLE;
  const elements = json.map((element: unknown) => expression(element, depth));
  // Values are never mutated, so a literal set is built once and shared.
  if (elements.every((element) => constants.has(element))) {
    return constant(elements.map((element) => constants.get(element) as CedarValue));
  }
  return (env) => elements.map((element) => element(env));
}

function recordLiteral(json: unknown, depth: number): Evaluate {
  const fields = Object.entries(object(json)).map(
    ([key, value]) => [key, expression(value, depth)] as const,
  );
  if (fields.every(([, evaluate]) => constants.has(evaluate))) {
    const record: Record<string, CedarValue> = Object.create(null) as Record<string, CedarValue>;
    for (const [key, evaluate] of fields) record[key] = constants.get(evaluate) as CedarValue;
    return constant(record);
  }
  return (env) => {
    const record: Record<string, CedarValue> = Object.create(null) as Record<string, CedarValue>;
    // A null-prototype object: even `__proto__` is an ordinary own key here.
    for (const [key, evaluate] of fields) record[key] = evaluate(env);
    return record;
  };
}

function unary(op: '!' | 'neg' | 'isEmpty', arg: Evaluate): Evaluate {
  switch (op) {
    case '!':
      return (env) => !asBool(arg(env));
    case 'neg':
      return (env) => negateLong(asLong(arg(env)));
    case 'isEmpty':
      return (env) => asSet(arg(env)).length === 0;
  }
}

function binary(op: string, left: Evaluate, right: Evaluate): Evaluate {
  switch (op) {
    case '&&':
      return (env) => asBool(left(env)) && asBool(right(env));
    case '||':
      return (env) => asBool(left(env)) || asBool(right(env));
    case '==':
      return (env) => valueEquals(left(env), right(env));
    case '!=':
      return (env) => !valueEquals(left(env), right(env));
    case '<':
      return (env) => asLong(left(env)) < asLong(right(env));
    case '<=':
      return (env) => asLong(left(env)) <= asLong(right(env));
    case '>':
      return (env) => asLong(left(env)) > asLong(right(env));
    case '>=':
      return (env) => asLong(left(env)) >= asLong(right(env));
    case '+':
      return (env) => addLong(asLong(left(env)), asLong(right(env)));
    case '-':
      return (env) => subtractLong(asLong(left(env)), asLong(right(env)));
    case '*':
      return (env) => multiplyLong(asLong(left(env)), asLong(right(env)));
    case 'in':
      return (env) => isIn(left(env), right(env), env);
    case 'contains':
      return (env) => setContains(asSet(left(env)), right(env));
    case 'containsAll':
      return (env) => containsAll(asSet(left(env)), asSet(right(env)));
    case 'containsAny':
      return (env) => containsAny(asSet(left(env)), asSet(right(env)));
    case 'getTag':
      return (env) => getTag(left(env), right(env), env);
    case 'hasTag':
      return (env) => hasTag(left(env), right(env), env);
    default:
      // Extension functions and anything newer than this module.
      throw NOT_COMPILABLE;
  }
}

function conditional(test: Evaluate, then: Evaluate, otherwise: Evaluate): Evaluate {
  return (env) => (asBool(test(env)) ? then(env) : otherwise(env));
}

/** `.attr` and `has attr`; `e has a.b.c` means `e has a && e.a has b && e.a.b has c` (RFC 62). */
function attribute(op: '.' | 'has', parts: Record<string, unknown>, depth: number): Evaluate {
  const left = expression(parts['left'], depth);
  const attr = parts['attr'];
  if (op === '.') {
    if (typeof attr !== 'string') throw NOT_COMPILABLE;
    return (env) => getAttr(left(env), attr, env);
  }
  const path = typeof attr === 'string' ? [attr] : attr;
  if (!Array.isArray(path) || path.length === 0) throw NOT_COMPILABLE;
  if (!path.every((name): name is string => typeof name === 'string')) throw NOT_COMPILABLE;
  return (env) => {
    let value = left(env);
    for (let i = 0; i < path.length; i++) {
      const name = path[i] as string;
      if (!hasAttr(value, name, env)) return false;
      if (i < path.length - 1) value = getAttr(value, name, env);
    }
    return true;
  };
}

function like(parts: Record<string, unknown>, depth: number): Evaluate {
  const left = expression(parts['left'], depth);
  const pattern = compileLikePattern(parts['pattern']);
  if (pattern === undefined) throw NOT_COMPILABLE;
  return (env) => likeMatches(asString(left(env)), pattern);
}

/** `e is T` and `e is T in x`, which Cedar evaluates as `e is T && e in x`. */
function isType(parts: Record<string, unknown>, depth: number): Evaluate {
  const left = expression(parts['left'], depth);
  const type = parts['entity_type'];
  if (typeof type !== 'string') throw NOT_COMPILABLE;
  if (parts['in'] === undefined) return (env) => asEntity(left(env)).type === type;
  const target = expression(parts['in'], depth);
  return (env) => asEntity(left(env)).type === type && isIn(left(env), target(env), env);
}

// --- Operations on values -------------------------------------------------------------------

function asBool(value: CedarValue): boolean {
  if (typeof value === 'boolean') return value;
  throw EVALUATION_ERROR;
}

function asLong(value: CedarValue): number {
  if (typeof value === 'number') return value;
  throw EVALUATION_ERROR;
}

function asString(value: CedarValue): string {
  if (typeof value === 'string') return value;
  throw EVALUATION_ERROR;
}

function asSet(value: CedarValue): CedarSet {
  if (Array.isArray(value)) return value as CedarSet;
  throw EVALUATION_ERROR;
}

function asEntity(value: CedarValue): EntityUid {
  if (value instanceof EntityUid) return value;
  throw EVALUATION_ERROR;
}

/** The attributes of a record or of an entity the request carries; anything else is an error. */
function attributesOf(value: CedarValue, env: Environment): CedarRecord {
  if (value instanceof EntityUid) {
    const entity = env.entities.get(value);
    if (entity === undefined) throw EVALUATION_ERROR;
    return entity.attrs;
  }
  if (isRecord(value)) return value;
  throw EVALUATION_ERROR;
}

function getAttr(value: CedarValue, attr: string, env: Environment): CedarValue {
  const attributes = attributesOf(value, env);
  if (!Object.hasOwn(attributes, attr)) throw EVALUATION_ERROR;
  return attributes[attr] as CedarValue;
}

/** `has` on a missing entity is false, not an error (Cedar). */
function hasAttr(value: CedarValue, attr: string, env: Environment): boolean {
  if (value instanceof EntityUid) {
    const entity = env.entities.get(value);
    return entity !== undefined && Object.hasOwn(entity.attrs, attr);
  }
  if (isRecord(value)) return Object.hasOwn(value, attr);
  throw EVALUATION_ERROR;
}

/** `a in b`: b an entity or a set of entities (every element must be one). */
function isIn(left: CedarValue, right: CedarValue, env: Environment): boolean {
  const entity = asEntity(left);
  if (right instanceof EntityUid) return env.entities.isIn(entity, right);
  const targets = asSet(right);
  for (const target of targets) asEntity(target);
  for (const target of targets) if (env.entities.isIn(entity, target as EntityUid)) return true;
  return false;
}

function getTag(left: CedarValue, right: CedarValue, env: Environment): CedarValue {
  const uid = asEntity(left);
  const tag = asString(right);
  const tags = env.entities.get(uid)?.tags;
  if (tags === undefined || !Object.hasOwn(tags, tag)) throw EVALUATION_ERROR;
  return tags[tag] as CedarValue;
}

function hasTag(left: CedarValue, right: CedarValue, env: Environment): boolean {
  const uid = asEntity(left);
  const tag = asString(right);
  const tags = env.entities.get(uid)?.tags;
  return tags !== undefined && Object.hasOwn(tags, tag);
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NOT_COMPILABLE;
  return value as Record<string, unknown>;
}
