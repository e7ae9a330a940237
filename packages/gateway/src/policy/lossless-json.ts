// Lossless JSON parsing: Cedar integers are 64-bit (RFC 8259 §6 lets parsers limit precision; we must not).
import { LosslessNumber, parse } from 'lossless-json';
import { ZtError } from '../errors.js';

const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Parses JSON text without losing numeric information.
 *
 * Integer literals inside ±(2^53 − 1) come back as `number`. Every other number literal (an integer
 * beyond that range, a fraction, an exponent form) comes back as a `LosslessNumber` holding the
 * literal text, so it MUST be detected by the caller and is never silently rounded. Duplicate keys
 * with different values are rejected.
 *
 * @throws ZtError `invalid-json` when the text is not JSON (fixed message, position from the parser).
 */
export function parseJsonLossless(text: string): unknown {
  if (typeof text !== 'string') throw new TypeError('parseJsonLossless expects a string');
  try {
    return parse(text, null, parseNumber);
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw new ZtError('invalid-json', `invalid JSON${detail.slice(0, 200)}`, { cause: error });
  }
}

function parseNumber(literal: string): number | LosslessNumber {
  if (INTEGER_LITERAL.test(literal)) {
    const value = Number(literal);
    if (Number.isSafeInteger(value)) return value;
  }
  return new LosslessNumber(literal);
}
