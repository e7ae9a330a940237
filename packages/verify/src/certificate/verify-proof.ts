// Proof-of-possession verification (RFC 9449 §4.3 shape; docs/identity.md, acceptance rule 2): a pipeline of named steps.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { VerifyError } from '../errors.js';
import { assertString } from '../checks.js';
import { base64urlEncode } from './base64url.js';
import { decodeJws } from './decode-jws.js';
import { isEd25519X } from './ed25519-key.js';
import type { Ed25519PublicJwk } from './ed25519-key.js';
import { normalizeHtu } from './htu.js';
import { isJsonObject, parseJsonObject } from './json.js';
import type { JsonObject } from './json.js';
import type { ReplayCache } from './replay-cache.js';
import { jwkThumbprintSync } from './thumbprint.js';
import { readClock, systemNow } from './clock.js';
import { verifyEd25519Signature } from './verify-signature.js';

/** The proof `typ` header (RFC 9449 §4.2). */
export const PROOF_TYP = 'dpop+jwt';
/** Default oldest accepted proof `iat`, in seconds before now (docs/identity.md: 60 s). */
export const DEFAULT_PROOF_MAX_AGE_SECONDS = 60;
/** Default newest accepted proof `iat`, in seconds after now. */
export const DEFAULT_PROOF_CLOCK_TOLERANCE_SECONDS = 5;
/** Longest accepted `jti`: enough for any random id, small enough to bound the replay cache. */
const MAX_JTI_CHARS = 256;

// RFC 9449 §4.2 header: typ, alg, jwk. Anything else (crit, kid, jku, x5c, …) is refused.
const PROOF_HEADER = new Set(['alg', 'typ', 'jwk']);
// A public OKP key has exactly these members (RFC 8037 §2); a private `d` is refused.
const PUBLIC_OKP_MEMBERS = new Set(['kty', 'crv', 'x']);

/** How to check a proof: which request, which certificate and key, and where jtis are recorded. */
export interface ProofCheckOptions {
  /** HTTP method of the request; `htm` must equal it upper-cased. */
  method: string;
  /** Full URL of the request; `htu` must equal it after {@link normalizeHtu} of both. */
  url: string;
  /** The certificate sent with the proof (compact JWS), for `ath`. */
  certificate: string;
  /** Expected key thumbprint: the certificate's `cnf.jkt`. */
  jkt: string;
  /** Where proof jtis are recorded (single use). */
  replayCache: ReplayCache;
  /** Current time in epoch seconds; default `Date.now() / 1000`. */
  now?: () => number;
  /** Oldest accepted `iat`, in seconds before now; default 60. */
  maxAgeSeconds?: number;
  /** Newest accepted `iat`, in seconds after now; default 5. */
  clockToleranceSeconds?: number;
  /** When given, MUST return true for the proof's `nonce` (undefined when it has none). */
  expectedNonce?: (nonce: string | undefined) => boolean;
}

/** A proof that passed every check; its jti is now recorded. */
export interface VerifiedProof {
  /** The proof's unique id. */
  jti: string;
  /** When it was made (epoch seconds). */
  iat: number;
  /** RFC 7638 thumbprint of the proof key (equal to the certificate's `cnf.jkt`). */
  jkt: string;
  /** The agent's public key that signed it. */
  jwk: Ed25519PublicJwk;
}

interface ProofClaims {
  htm: string;
  htu: string;
  iat: number;
  jti: string;
  ath: string;
  nonce: string | undefined;
}

interface ResolvedProofOptions {
  method: string;
  url: string;
  certificate: string;
  jkt: string;
  replayCache: ReplayCache;
  now: () => number;
  maxAgeSeconds: number;
  clockToleranceSeconds: number;
  expectedNonce: ((nonce: string | undefined) => boolean) | undefined;
}

function seconds(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${what} must be a finite number >= 0`);
  }
  return value;
}

function resolveProofOptions(options: unknown): ResolvedProofOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options required');
  const o = options as Partial<Record<keyof ProofCheckOptions, unknown>>;
  assertString(o.method, 'method');
  assertString(o.url, 'url');
  assertString(o.certificate, 'certificate');
  assertString(o.jkt, 'jkt');
  const cache = o.replayCache as ReplayCache | undefined;
  if (typeof cache !== 'object' || cache === null || typeof cache.use !== 'function') {
    throw new TypeError('replayCache must have a use() method');
  }
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('now: function');
  if (o.expectedNonce !== undefined && typeof o.expectedNonce !== 'function') {
    throw new TypeError('expectedNonce: function');
  }
  return {
    method: o.method,
    url: o.url,
    certificate: o.certificate,
    jkt: o.jkt,
    replayCache: cache,
    now: (o.now as (() => number) | undefined) ?? systemNow,
    maxAgeSeconds: seconds(o.maxAgeSeconds, 'maxAgeSeconds', DEFAULT_PROOF_MAX_AGE_SECONDS),
    clockToleranceSeconds: seconds(
      o.clockToleranceSeconds,
      'clockToleranceSeconds',
      DEFAULT_PROOF_CLOCK_TOLERANCE_SECONDS,
    ),
    expectedNonce: o.expectedNonce as ResolvedProofOptions['expectedNonce'],
  };
}

/** Step: header is exactly `{alg: EdDSA, typ: dpop+jwt, jwk: <public Ed25519 key>}`. */
function checkProofHeader(header: JsonObject): Ed25519PublicJwk {
  if (header['alg'] !== 'EdDSA') throw new VerifyError('alg-not-allowed');
  for (const name of Object.keys(header)) {
    if (!PROOF_HEADER.has(name)) throw new VerifyError('header-not-allowed');
  }
  if (header['typ'] !== PROOF_TYP) throw new VerifyError('proof-typ-invalid');
  const jwk = header['jwk'];
  if (
    !isJsonObject(jwk) ||
    !Object.keys(jwk).every((m) => PUBLIC_OKP_MEMBERS.has(m)) ||
    jwk['kty'] !== 'OKP' ||
    jwk['crv'] !== 'Ed25519' ||
    !isEd25519X(jwk['x'])
  ) {
    throw new VerifyError('token-malformed');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] };
}

/** Step: the proof key is the certificate's key (RFC 9449 §6.1: `jkt` is its RFC 7638 thumbprint). */
function checkKeyBinding(jwk: Ed25519PublicJwk, expectedJkt: string): string {
  const jkt = jwkThumbprintSync(jwk);
  if (jkt !== expectedJkt) throw new VerifyError('proof-key-mismatch');
  return jkt;
}

/** Step: the claims have their types (RFC 9449 §4.2); read only after the signature verified. */
function checkProofClaims(p: JsonObject): ProofClaims {
  const { htm, htu, iat, jti, ath, nonce } = p;
  if (
    typeof htm !== 'string' ||
    typeof htu !== 'string' ||
    typeof iat !== 'number' ||
    !Number.isFinite(iat) ||
    typeof jti !== 'string' ||
    jti.length === 0 ||
    jti.length > MAX_JTI_CHARS ||
    typeof ath !== 'string' ||
    (nonce !== undefined && typeof nonce !== 'string')
  ) {
    throw new VerifyError('token-malformed');
  }
  return { htm, htu, iat, jti, ath, nonce };
}

const ATH_CACHE_SIZE = 10_000;
const athCache = new Map<string, string>();

/** `ath`: base64url of SHA-256 of the ASCII certificate (RFC 9449 §4.2). */
export function accessTokenHash(certificate: string): string {
  const cached = athCache.get(certificate);
  if (cached !== undefined) return cached;
  const ath = base64urlEncode(sha256(utf8ToBytes(certificate)));
  // A gateway sees the same certificate on every call until it expires: hash it once.
  if (athCache.size >= ATH_CACHE_SIZE) athCache.delete(athCache.keys().next().value as string);
  athCache.set(certificate, ath);
  return ath;
}

/** Step: the proof was made for this request and this certificate. */
function checkRequest(c: ProofClaims, o: ResolvedProofOptions): void {
  if (c.htm !== o.method.toUpperCase()) throw new VerifyError('proof-method-mismatch');
  if (normalizeHtu(c.htu) !== normalizeHtu(o.url)) throw new VerifyError('proof-url-mismatch');
  if (c.ath !== accessTokenHash(o.certificate)) throw new VerifyError('proof-ath-mismatch');
}

/** Step: `iat` within [now - maxAge, now + tolerance]. */
function checkFreshness(c: ProofClaims, o: ResolvedProofOptions, now: number): void {
  if (c.iat < now - o.maxAgeSeconds || c.iat > now + o.clockToleranceSeconds) {
    throw new VerifyError('proof-stale');
  }
}

/** Step: the server's nonce, when it asked for one (RFC 9449 §8). */
function checkNonce(c: ProofClaims, o: ResolvedProofOptions): void {
  if (o.expectedNonce !== undefined && o.expectedNonce(c.nonce) !== true) {
    throw new VerifyError('proof-nonce-invalid');
  }
}

/** Last step: record the jti until the proof could no longer be accepted anyway. */
async function recordJti(c: ProofClaims, o: ResolvedProofOptions): Promise<void> {
  const first = await o.replayCache.use(c.jti, c.iat + o.maxAgeSeconds);
  if (first !== true) throw new VerifyError('proof-replayed');
}

/**
 * Verifies a proof of possession (docs/identity.md, rule 2): header `{alg: EdDSA, typ: dpop+jwt,
 * jwk}`, a key whose RFC 7638 thumbprint is `jkt`, a valid signature, `htm`, `htu`, `ath`, a fresh
 * `iat`, the nonce when asked for, and a never-seen `jti`. The jti MUST be recorded only after
 * every other check passed, so a forged or mismatched proof cannot burn it. Throws VerifyError
 * with the spec's code for the first check that fails; TypeError on misuse.
 */
export async function verifyProofOfPossession(
  proof: string,
  options: ProofCheckOptions,
): Promise<VerifiedProof> {
  assertString(proof, 'proof');
  const o = resolveProofOptions(options);
  const jws = decodeJws(proof);
  const jwk = checkProofHeader(jws.header);
  const jkt = checkKeyBinding(jwk, o.jkt);
  await verifyEd25519Signature(proof, jws.signature, jwk.x);
  const claims = checkProofClaims(parseJsonObject(jws.payload));
  checkRequest(claims, o);
  checkFreshness(claims, o, readClock(o.now));
  checkNonce(claims, o);
  await recordJti(claims, o);
  return { jti: claims.jti, iat: claims.iat, jkt, jwk };
}
