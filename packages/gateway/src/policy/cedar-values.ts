// Turns untrusted JSON-like values into the plain JSON the Cedar binding can carry, or says why not.
import { isLosslessNumber } from 'lossless-json';

/** Nesting bound for context and entity values: Cedar's JSON parser stops at 128, its evaluator earlier. */
export const MAX_VALUE_DEPTH = 32;

/** A plain JSON value as handed to cedar-wasm: safe integers only, no markers, no prototypes. */
export type CedarJson =
  null | boolean | number | string | CedarJson[] | { [key: string]: CedarJson };

export type CedarValueResult =
  | { ok: true; value: CedarJson }
  | { ok: false; code: 'value-out-of-range' | 'policy-engine-error'; message: string };

const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

class Rejected {
  constructor(
    readonly code: 'value-out-of-range' | 'policy-engine-error',
    readonly message: string,
  ) {}
}

/**
 * Copies `value` into plain JSON for the Cedar binding.
 *
 * MUST reject (never round) any number that is not an integer within ±(2^53 − 1): the JS binding
 * carries numbers as IEEE doubles and throws on BigInt, so such a value cannot reach Cedar intact.
 * MUST reject anything that is not JSON (undefined, functions, symbols, class instances, cycles)
 * and nesting deeper than `MAX_VALUE_DEPTH`. The copy, not the input, goes to the engine, so
 * nothing can change between the check and the call.
 */
export function toCedarJson(value: unknown, where: string): CedarValueResult {
  try {
    return { ok: true, value: copy(value, where, 0) };
  } catch (error) {
    if (error instanceof Rejected) return { ok: false, code: error.code, message: error.message };
    // A throwing getter or proxy trap in caller-supplied data: refuse, do not crash.
    return { ok: false, code: 'policy-engine-error', message: `${where}: value could not be read` };
  }
}

function copy(value: unknown, where: string, depth: number): CedarJson {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    throw outOfRange(where, String(value));
  }
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    if (Number.isSafeInteger(asNumber) && BigInt(asNumber) === value) return asNumber;
    throw outOfRange(where, value.toString());
  }
  if (isLosslessNumber(value)) {
    const literal = value.value;
    const asNumber = Number(literal);
    if (INTEGER_LITERAL.test(literal) && Number.isSafeInteger(asNumber)) return asNumber;
    throw outOfRange(where, literal);
  }
  if (typeof value !== 'object') {
    throw new Rejected(
      'policy-engine-error',
      `${where}: unsupported value of type ${typeof value}`,
    );
  }
  if (depth >= MAX_VALUE_DEPTH) {
    throw new Rejected('policy-engine-error', `${where}: nested deeper than ${MAX_VALUE_DEPTH}`);
  }
  if (Array.isArray(value)) {
    const out: CedarJson[] = [];
    for (let i = 0; i < value.length; i++) out.push(copy(value[i], where, depth + 1));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new Rejected('policy-engine-error', `${where}: only plain objects are accepted`);
  }
  const out: { [key: string]: CedarJson } = {};
  for (const key of Object.keys(value)) {
    const copied = copy((value as Record<string, unknown>)[key], where, depth + 1);
    // Assigning "__proto__" would set the prototype: define it, so that it stays a plain key.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = copied;
    }
  }
  return out;
}

function outOfRange(where: string, literal: string): Rejected {
  const shown = literal.length > 40 ? `${literal.slice(0, 40)}…` : literal;
  return new Rejected(
    'value-out-of-range',
    `${where}: number ${shown} is not an integer within ±(2^53 − 1), the range the Cedar binding can carry`,
  );
}
