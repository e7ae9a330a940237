// The issuer's key set (RFC 7517 §5), local only: the key is chosen here by `kid`, never taken or fetched from a token.
import { VerifyError } from '../errors.js';
import { isEd25519X } from './ed25519-key.js';

/** A JWK as it may appear in a JWKS: only public Ed25519 signing keys are ever used. */
export interface JsonWebKeyLike {
  kty?: string;
  crv?: string;
  x?: string;
  kid?: string;
  use?: string;
  alg?: string;
  key_ops?: readonly string[];
  [member: string]: unknown;
}

/** A JSON Web Key Set. */
export interface JsonWebKeySetLike {
  keys: readonly JsonWebKeyLike[];
}

/** Throws TypeError unless `jwks` is shaped like `{ keys: [object, …] }`. */
export function assertJwks(jwks: unknown): asserts jwks is JsonWebKeySetLike {
  if (typeof jwks !== 'object' || jwks === null) throw new TypeError('jwks must be an object');
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new TypeError('jwks.keys must be an array');
  for (const k of keys as unknown[]) {
    if (typeof k !== 'object' || k === null) throw new TypeError('jwks.keys must hold objects');
  }
}

/**
 * A key usable to verify certificates: a public (no `d`) OKP Ed25519 key with a 32-byte `x`,
 * whose `use`, `key_ops` and `alg`, when present, allow EdDSA signature verification.
 */
function isUsable(k: JsonWebKeyLike): boolean {
  return (
    k.kty === 'OKP' &&
    k.crv === 'Ed25519' &&
    isEd25519X(k.x) &&
    !('d' in k) &&
    (k.use === undefined || k.use === 'sig') &&
    (k.key_ops === undefined || (Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) &&
    (k.alg === undefined || k.alg === 'EdDSA' || k.alg === 'Ed25519')
  );
}

/**
 * The `x` of the one usable key whose `kid` is `kid`. Throws VerifyError `kid-unknown` when there
 * is none, or more than one (an ambiguous set fails closed).
 */
export function selectIssuerKey(jwks: JsonWebKeySetLike, kid: string): string {
  let found: string | undefined;
  for (const k of jwks.keys) {
    if (k.kid !== kid || !isUsable(k)) continue;
    if (found !== undefined) throw new VerifyError('kid-unknown');
    found = k.x as string;
  }
  if (found === undefined) throw new VerifyError('kid-unknown');
  return found;
}
