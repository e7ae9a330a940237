// Internal argument checks shared by the modules: misuse throws TypeError, hostile values VerifyError (CONVENTIONS 5).
import { VerifyError } from './errors.js';

/** Throws TypeError unless `value` is a Uint8Array. */
export function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
}

/** Throws TypeError unless `value` is a string. */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
}

/** Sizes and indexes: a number that is not a safe non-negative integer is hostile (e.g. a wrapped uint64). */
export function assertCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) throw new VerifyError('invalid-integer');
}

/** Constant-time-ish equality of two byte arrays (the inputs are public; this just avoids early exit). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** True when `s` holds an ASCII control character (below U+0020), newline excepted if allowed. */
export function hasControl(s: string, allowNewline: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && !(allowNewline && c === 0x0a)) return true;
  }
  return false;
}
