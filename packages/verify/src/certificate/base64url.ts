// Unpadded base64url (RFC 7515 §2, RFC 4648 §5) with strict decoding: one accepted encoding per
// byte string (codec: @scure/base).
import { base64urlnopad } from '@scure/base';
import { VerifyError } from '../errors.js';

/** Encodes bytes as unpadded base64url. */
export function base64urlEncode(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

/**
 * Decodes unpadded base64url. Strict: throws VerifyError `token-malformed` on padding, whitespace,
 * the standard alphabet (`+`, `/`), an impossible length, or non-zero unused trailing bits.
 */
export function base64urlDecode(s: string): Uint8Array {
  try {
    return base64urlnopad.decode(s);
  } catch {
    throw new VerifyError('token-malformed');
  }
}
