// Cedar runtime values for the fast path, and the two ways an evaluation stops early. Hand-written:
// no maintained JS Cedar evaluator exists on npm; the official engine stays the reference.
//
// Representation (chosen so request JSON needs no copy beyond the one `toCedarJson` makes):
// Bool → boolean, Long → number (safe integers only), String → string, entity → `EntityUid`,
// Set → array (may hold duplicates; every operation on it is set-semantic), Record → an object
// whose own properties are its attributes.

/** A Cedar entity reference `type::"id"`. `key` identifies it in maps. */
export class EntityUid {
  readonly key: string;
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    // A type name never contains NUL (see names.ts), so the key is injective.
    this.key = `${type}\u0000${id}`;
  }
}

export type CedarValue = boolean | number | string | EntityUid | CedarSet | CedarRecord;
export type CedarSet = readonly CedarValue[];
export interface CedarRecord {
  readonly [attribute: string]: CedarValue;
}

/**
 * Cedar would raise an evaluation error here: the policy is skipped and reported in `errors`.
 * One shared instance is thrown (no stack capture per error); nothing reads its stack.
 */
export class CedarEvaluationError extends Error {}
export const EVALUATION_ERROR = new CedarEvaluationError('Cedar evaluation error');

/**
 * The fast path cannot decide this request exactly (for example a Long beyond ±(2^53 − 1) that
 * Cedar would carry exactly as i64): the caller MUST ask the official engine instead.
 */
export class FastPathUnsupported extends Error {}
export const UNSUPPORTED = new FastPathUnsupported('not supported by the fast path');

export function isEntity(value: CedarValue): value is EntityUid {
  return value instanceof EntityUid;
}

export function isSet(value: CedarValue): value is CedarSet {
  return Array.isArray(value);
}

export function isRecord(value: CedarValue): value is CedarRecord {
  return typeof value === 'object' && !Array.isArray(value) && !(value instanceof EntityUid);
}

/** Cedar `==`: structural, never an error; values of different types are unequal. */
export function valueEquals(a: CedarValue, b: CedarValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof EntityUid) return b instanceof EntityUid && a.type === b.type && a.id === b.id;
  if (b instanceof EntityUid) return false;
  if (Array.isArray(a)) return Array.isArray(b) && setEquals(a, b as CedarSet);
  if (Array.isArray(b)) return false;
  return recordEquals(a as CedarRecord, b as CedarRecord);
}

function setEquals(a: CedarSet, b: CedarSet): boolean {
  return containsAll(a, b) && containsAll(b, a);
}

function recordEquals(a: CedarRecord, b: CedarRecord): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !valueEquals(a[key] as CedarValue, b[key] as CedarValue)) {
      return false;
    }
  }
  return true;
}

/** Set membership under Cedar equality. */
export function setContains(set: CedarSet, value: CedarValue): boolean {
  if (typeof value !== 'object') return set.includes(value);
  for (const element of set) if (valueEquals(element, value)) return true;
  return false;
}

/** Every element of `sub` is in `set`. */
export function containsAll(set: CedarSet, sub: CedarSet): boolean {
  const has = membership(set, sub.length);
  for (const element of sub) if (!has(element)) return false;
  return true;
}

/** Some element of `other` is in `set`. */
export function containsAny(set: CedarSet, other: CedarSet): boolean {
  const has = membership(set, other.length);
  for (const element of other) if (has(element)) return true;
  return false;
}

/** Beyond this many comparisons a set is indexed, so large sets cost O(n + m), not O(n·m). */
const INDEX_THRESHOLD = 256;

/** A membership test for `set`, indexed (primitives by value, entities by key) when worth it. */
function membership(set: CedarSet, lookups: number): (value: CedarValue) => boolean {
  if (set.length * lookups < INDEX_THRESHOLD) return (value) => setContains(set, value);
  const primitives = new Set<CedarValue>();
  const entities = new Set<string>();
  const structured: CedarValue[] = [];
  for (const element of set) {
    if (typeof element !== 'object') primitives.add(element);
    else if (element instanceof EntityUid) entities.add(element.key);
    else structured.push(element);
  }
  return (value) => {
    if (typeof value !== 'object') return primitives.has(value);
    if (value instanceof EntityUid) return entities.has(value.key);
    return setContains(structured, value);
  };
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/**
 * A Long result: exact when within ±(2^53 − 1). Beyond, Cedar (i64) still has an exact value the
 * fast path cannot carry → UNSUPPORTED; beyond i64 Cedar raises an overflow error.
 * Operands are always safe integers, so `+`/`-` stay within ±2^54 and never overflow i64.
 */
function long(result: number): number {
  if (Number.isSafeInteger(result)) return result === 0 ? 0 : result;
  throw UNSUPPORTED;
}

export function addLong(a: number, b: number): number {
  return long(a + b);
}

export function subtractLong(a: number, b: number): number {
  return long(a - b);
}

export function multiplyLong(a: number, b: number): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return product === 0 ? 0 : product;
  const exact = BigInt(a) * BigInt(b);
  if (exact > I64_MAX || exact < I64_MIN) throw EVALUATION_ERROR;
  throw UNSUPPORTED;
}

export function negateLong(a: number): number {
  return long(-a);
}

// Cedar strings are Unicode scalar values; a lone surrogate cannot reach the engine unchanged.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False when the string holds a lone surrogate (the binding would not pass it through as is). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
