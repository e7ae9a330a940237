// JWS Compact Serialization (RFC 7515 §7.1) decoding, bounded and strict, before any signature work.
import { VerifyError } from '../errors.js';
import { base64urlDecode } from './base64url.js';
import { parseJsonObject } from './json.js';
import type { JsonObject } from './json.js';

/** Largest accepted certificate or proof, in characters (docs/identity.md: 8 KiB). */
export const MAX_TOKEN_CHARS = 8 * 1024;

/** A compact JWS split and decoded, not yet verified. */
export interface DecodedJws {
  /** The protected header. */
  header: JsonObject;
  /** The payload bytes: parse them (with `parseJsonObject`) only after the signature verified. */
  payload: Uint8Array;
  /** The signature bytes. */
  signature: Uint8Array;
}

/**
 * Decodes a compact JWS whose header is a JSON object. MUST run before anything else reads the
 * token. Throws VerifyError: `token-too-large` over {@link MAX_TOKEN_CHARS} (checked before any
 * decoding), `token-malformed` unless there are exactly three strict base64url parts and the
 * header is a UTF-8 JSON object, `duplicate-json-key` on a repeated member name in the header.
 */
export function decodeJws(token: string): DecodedJws {
  if (token.length > MAX_TOKEN_CHARS) throw new VerifyError('token-too-large');
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) throw new VerifyError('token-malformed');
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  if (headerPart === '' || payloadPart === '') throw new VerifyError('token-malformed');
  const header = base64urlDecode(headerPart);
  const payload = base64urlDecode(payloadPart);
  const signature = base64urlDecode(token.slice(second + 1));
  return { header: parseJsonObject(header), payload, signature };
}
