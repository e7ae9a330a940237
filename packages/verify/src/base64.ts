// Standard base64 (RFC 4648 §4) with strict decoding: as used by C2SP signed-note and tlog-checkpoint.
import { VerifyError } from './errors.js';
import { assertBytes, assertString } from './checks.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as padded standard base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const v = c < 128 ? (DECODE[c] ?? -1) : -1;
  if (v < 0) throw new VerifyError('invalid-base64');
  return v;
}

/**
 * Decodes padded standard base64 (RFC 4648 §4). Strict: throws VerifyError `invalid-base64` on
 * whitespace, missing or extra padding, the URL-safe alphabet, or non-zero unused trailing bits,
 * so every byte string has exactly one accepted encoding.
 */
export function fromBase64(s: string): Uint8Array {
  assertString(s, 'base64 text');
  if (s.length % 4 !== 0) throw new VerifyError('invalid-base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  const full = pad === 0 ? s.length : s.length - 4;
  for (let i = 0; i < full; i += 4) {
    const n =
      (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (sextet(s, i + 2) << 6) | sextet(s, i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad === 2) {
    const a = sextet(s, full);
    const b = sextet(s, full + 1);
    if ((b & 15) !== 0) throw new VerifyError('invalid-base64');
    out[o] = (a << 2) | (b >> 4);
  } else if (pad === 1) {
    const a = sextet(s, full);
    const b = sextet(s, full + 1);
    const c = sextet(s, full + 2);
    if ((c & 3) !== 0) throw new VerifyError('invalid-base64');
    out[o++] = (a << 2) | (b >> 4);
    out[o] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}
