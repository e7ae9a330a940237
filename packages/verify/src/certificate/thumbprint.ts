// JWK thumbprints (RFC 7638; OKP members from RFC 8037 §2): the value a certificate's `cnf.jkt` pins.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { base64urlEncode } from './base64url.js';

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
};

/** A JWK as far as a thumbprint needs it. */
export interface ThumbprintInput {
  kty: string;
  crv?: string;
  x?: string;
  [member: string]: unknown;
}

/** {@link jwkThumbprint}, synchronously. */
export function jwkThumbprintSync(jwk: ThumbprintInput): string {
  if (typeof jwk !== 'object' || jwk === null) throw new TypeError('jwk must be an object');
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) throw new TypeError('jwk.kty must be one of EC, OKP, RSA, oct');
  // RFC 7638 §3.3: no whitespace, members in order, strings as JSON.stringify writes them.
  let json = '{';
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') throw new TypeError(`jwk.${name} must be a string`);
    json += `${json.length > 1 ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  return base64urlEncode(sha256(utf8ToBytes(json + '}')));
}

/**
 * RFC 7638 thumbprint of a public JWK: base64url(SHA-256) of its required members in canonical
 * JSON. Only the required members count, so a public and a private JWK of one key agree. Throws
 * TypeError for an unknown `kty` or a required member that is not a string.
 */
export async function jwkThumbprint(jwk: ThumbprintInput): Promise<string> {
  return jwkThumbprintSync(jwk);
}
