// Ed25519 public keys for jose (RFC 8037 §2), imported once per key and reused: import costs about as much as a hash of the token.
import { importJWK } from 'jose';
import type { CryptoKey } from 'jose';
import { base64urlDecode } from './base64url.js';

/** A public Ed25519 JWK reduced to its RFC 8037 members. */
export type Ed25519PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string };

/** Most imported keys kept; past it the least recently used is dropped (and re-imported on need). */
const MAX_CACHED_KEYS = 10_000;
const imported = new Map<string, Promise<CryptoKey>>();

/** True when `x` is the canonical base64url of 32 bytes. */
export function isEd25519X(x: unknown): x is string {
  if (typeof x !== 'string' || x.length !== 43) return false;
  try {
    return base64urlDecode(x).length === 32;
  } catch {
    return false;
  }
}

/**
 * The verify-only CryptoKey of the Ed25519 public key `x` (already checked by {@link isEd25519X}).
 * Rejects when the runtime refuses the key; a refused import is not cached.
 */
export function importEd25519(x: string): Promise<CryptoKey> {
  const hit = imported.get(x);
  if (hit !== undefined) {
    imported.delete(x); // re-insert: Map order is recency order
    imported.set(x, hit);
    return hit;
  }
  const key = importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA', { extractable: false }).then(
    (k) => k as CryptoKey,
  );
  key.catch(() => imported.delete(x));
  if (imported.size >= MAX_CACHED_KEYS) imported.delete(imported.keys().next().value as string);
  imported.set(x, key);
  return key;
}
