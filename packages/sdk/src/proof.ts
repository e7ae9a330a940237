// Proofs of possession in the RFC 9449 (DPoP) shape, as docs/identity.md specifies them: header
// {typ: dpop+jwt, alg: EdDSA, jwk}, claims {htm, htu, iat, jti, ath, nonce?}.
import { normalizeHtu } from '@zt4ai/verify';
import { base64url, SignJWT } from 'jose';
import type { AgentKey } from './agent-key.js';

/** The proof `typ` header (RFC 9449 §4.2). */
const PROOF_TYP = 'dpop+jwt';
/** 128 random bits: a `jti` that is unique without coordination (RFC 9449 §4.2). */
const JTI_BYTES = 16;

/** What one proof is made for. */
export interface ProofRequest {
  readonly method: string;
  /** The request URL; the proof names it without query and fragment. */
  readonly url: string;
  /** `ath`: base64url SHA-256 of the certificate (or, for issuance, of the request body). */
  readonly ath: string;
  /** The server's nonce, when it asked for one (RFC 9449 §8). */
  readonly nonce?: string | undefined;
  /** Current time in milliseconds. */
  readonly nowMs: number;
}

/** Signs a single-use proof with the agent key. Throws TypeError for a URL that is not http(s). */
export async function signProof(key: AgentKey, request: ProofRequest): Promise<string> {
  const claims: Record<string, string> = {
    htm: request.method.toUpperCase(),
    htu: proofUrl(request.url),
    ath: request.ath,
  };
  if (request.nonce !== undefined) claims['nonce'] = request.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: PROOF_TYP, jwk: { ...key.publicJwk } })
    .setIssuedAt(Math.floor(request.nowMs / 1000))
    .setJti(randomId())
    .sign(key.privateKey);
}

/** base64url(SHA-256(UTF-8 text)): the `ath` of a certificate or request body. */
export async function sha256Base64url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return base64url.encode(new Uint8Array(digest));
}

/** The `htu` form of a URL (the same normalisation the verifier applies). */
export function proofUrl(url: string): string {
  try {
    return normalizeHtu(url);
  } catch {
    throw new TypeError('url must be an absolute http or https URL');
  }
}

function randomId(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(JTI_BYTES)));
}
