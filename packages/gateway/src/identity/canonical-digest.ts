// Digests of JSON values as base64url SHA-256 of their RFC 8785 canonical form, and random ids.
import { createHash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ZtError } from '../errors.js';

/** RFC 8785 canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new ZtError('invalid-argument', 'value is not JSON');
  return text;
}

/** base64url(SHA-256(canonical JSON of `value`)). */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('base64url');
}

/** A new opaque id such as `agt_k3j…`: a prefix and 120 random bits in base32. */
export function newId(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(15);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `${prefix}_${out}`;
}
