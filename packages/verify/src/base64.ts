// Standard base64 (RFC 4648 §4) with strict decoding, as C2SP signed-note and tlog-checkpoint use
// it: padding required, no whitespace, zero unused bits, so every byte string has exactly one
// accepted encoding (codec: @scure/base).
import { base64 } from '@scure/base';
import { VerifyError } from './errors.js';
import { assertBytes, assertString } from './checks.js';

/** Encodes bytes as padded standard base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return base64.encode(bytes);
}

/**
 * Decodes padded standard base64. Strict: throws VerifyError `invalid-base64` on a wrong length,
 * missing or excess padding, characters outside the alphabet, or non-zero unused bits.
 */
export function fromBase64(s: string): Uint8Array {
  assertString(s, 'base64 text');
  try {
    return base64.decode(s);
  } catch {
    throw new VerifyError('invalid-base64');
  }
}
