// Agentic certificate verification (docs/identity.md, acceptance rule 1): a pipeline of named steps.
import { VerifyError } from '../errors.js';
import { assertString } from '../checks.js';
import { readClock, systemNow } from './clock.js';
import { checkClaimsShape, checkConfirmation, deepFreeze } from './claims.js';
import type { AgentCertificateClaims, UnboundClaims } from './claims.js';
import { decodeJws } from './decode-jws.js';
import { assertJwks, selectIssuerKey } from './issuer-keys.js';
import type { JsonWebKeySetLike } from './issuer-keys.js';
import { parseJsonObject } from './json.js';
import type { JsonObject } from './json.js';
import { verifyEd25519Signature } from './verify-signature.js';

/** The certificate `typ` header (docs/identity.md). */
export const CERTIFICATE_TYP = 'agent-cert+jwt';
/** Default allowed clock skew for `nbf`/`exp`, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Default (and documented) maximum certificate lifetime `exp - iat`, in seconds. */
export const DEFAULT_MAX_TTL_SECONDS = 3600;

// Header members a certificate may carry: "Nothing else" (docs/identity.md). In particular jku,
// x5u, x5c and jwk (keys from the token) and crit (RFC 7515 §4.1.11) are refused.
const CERTIFICATE_HEADER = new Set(['alg', 'typ', 'kid']);

/** How to check a certificate: whom to trust, who we are, and when it is. */
export interface CertificateCheckOptions {
  /** The issuer's public keys (local only; never fetched). Only public OKP Ed25519 keys are used. */
  jwks: JsonWebKeySetLike;
  /** Expected `iss`, exactly. */
  issuer: string;
  /** This gateway's audience; `aud` must be it or contain it. */
  audience: string;
  /** Current time in epoch seconds; default `Date.now() / 1000`. */
  now?: () => number;
  /** Allowed clock skew for `nbf`, `iat` and `exp`, in seconds; default 30. */
  clockToleranceSeconds?: number;
  /** Longest accepted lifetime `exp - iat`, in seconds; default 3600. */
  maxTtlSeconds?: number;
}

/** A certificate that passed every check. */
export interface VerifiedCertificate {
  /** The certificate as received (compact JWS). */
  token: string;
  /** The issuer key that signed it. */
  kid: string;
  /** Its claims, deep-frozen. */
  claims: AgentCertificateClaims;
}

/** {@link CertificateCheckOptions} validated, with defaults applied; a snapshot, never the caller's object. */
export interface ResolvedCertificateOptions {
  jwks: JsonWebKeySetLike;
  issuer: string;
  audience: string;
  now: () => number;
  clockToleranceSeconds: number;
  maxTtlSeconds: number;
}

/** A certificate verified in all but `cnf` (which has its own code and place in the request pipeline). */
export interface UnboundCertificate {
  token: string;
  kid: string;
  claims: UnboundClaims;
}

function seconds(value: unknown, what: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${what} must be a finite number >= ${min}`);
  }
  return value;
}

/** Validates options (TypeError on misuse) and applies defaults. */
export function resolveCertificateOptions(options: unknown): ResolvedCertificateOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options required');
  const o = options as Partial<Record<keyof CertificateCheckOptions, unknown>>;
  assertJwks(o.jwks);
  if (typeof o.issuer !== 'string' || o.issuer === '') throw new TypeError('issuer required');
  if (typeof o.audience !== 'string' || o.audience === '') throw new TypeError('audience required');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('now: function');
  return {
    jwks: o.jwks,
    issuer: o.issuer,
    audience: o.audience,
    now: (o.now as (() => number) | undefined) ?? systemNow,
    clockToleranceSeconds: seconds(
      o.clockToleranceSeconds,
      'clockToleranceSeconds',
      DEFAULT_CLOCK_TOLERANCE_SECONDS,
      0,
    ),
    maxTtlSeconds: seconds(o.maxTtlSeconds, 'maxTtlSeconds', DEFAULT_MAX_TTL_SECONDS, 1),
  };
}

/** Step: header is exactly `{alg: EdDSA, typ: agent-cert+jwt, kid}`; returns the kid. */
function checkCertificateHeader(header: JsonObject): string {
  if (header['alg'] !== 'EdDSA') throw new VerifyError('alg-not-allowed');
  for (const name of Object.keys(header)) {
    if (!CERTIFICATE_HEADER.has(name)) throw new VerifyError('header-not-allowed');
  }
  if (header['typ'] !== CERTIFICATE_TYP) throw new VerifyError('typ-invalid');
  const kid = header['kid'];
  if (kid === undefined) throw new VerifyError('kid-unknown');
  if (typeof kid !== 'string') throw new VerifyError('token-malformed');
  return kid;
}

/** Step: lifetime `exp - iat` at most the maximum TTL (docs/identity.md: 1 h). */
function checkLifetime(claims: UnboundClaims, o: ResolvedCertificateOptions): void {
  if (claims.exp - claims.iat > o.maxTtlSeconds) throw new VerifyError('claims-invalid');
}

/**
 * The checks that depend on who and when we are: `iss`, `aud`, then `nbf <= now < exp` and
 * `iat <= now`, each within the clock tolerance. Cheap; repeated on every use of a cached certificate.
 */
export function checkValidity(
  claims: UnboundClaims,
  o: ResolvedCertificateOptions,
  now: number,
): void {
  if (claims.iss !== o.issuer) throw new VerifyError('issuer-invalid');
  const aud = claims.aud;
  if (!(aud === o.audience || (Array.isArray(aud) && aud.includes(o.audience)))) {
    throw new VerifyError('audience-invalid');
  }
  const tolerance = o.clockToleranceSeconds;
  if (now - tolerance >= claims.exp) throw new VerifyError('expired');
  if (now + tolerance < claims.nbf || now + tolerance < claims.iat) {
    throw new VerifyError('not-yet-valid');
  }
}

/**
 * Every certificate check but `cnf`, in order: size and structure, header, issuer key, signature,
 * claims (strict JSON) and their shapes, lifetime, then {@link checkValidity}. The payload is not
 * even parsed before the signature verified. The result is deep-frozen (it may be cached and shared).
 */
export async function verifyUnboundCertificate(
  token: string,
  o: ResolvedCertificateOptions,
  now: number,
): Promise<UnboundCertificate> {
  const jws = decodeJws(token);
  const kid = checkCertificateHeader(jws.header);
  const x = selectIssuerKey(o.jwks, kid);
  await verifyEd25519Signature(token, jws.signature, x);
  const claims = parseJsonObject(jws.payload);
  checkClaimsShape(claims);
  checkLifetime(claims, o);
  checkValidity(claims, o, now);
  return Object.freeze({ token, kid, claims: deepFreeze(claims) });
}

/**
 * Verifies an agentic certificate (docs/identity.md, rule 1) against a local issuer key set. It
 * MUST NOT use any key the token names or carries: the key is chosen from `options.jwks` by `kid`.
 * Throws VerifyError with the spec's code for the first check that fails (`cnf-missing` last),
 * TypeError on misuse. Revocation and agent state are the caller's (see `verifyAgentRequest`).
 */
export async function verifyAgentCertificate(
  token: string,
  options: CertificateCheckOptions,
): Promise<VerifiedCertificate> {
  assertString(token, 'token');
  const o = resolveCertificateOptions(options);
  const cert = await verifyUnboundCertificate(token, o, readClock(o.now));
  return bindCertificate(cert);
}

/** Final step: the certificate must name its holder's key (`cnf.jkt`, RFC 7800 §3.1). */
export function bindCertificate(cert: UnboundCertificate): VerifiedCertificate {
  checkConfirmation(cert.claims);
  return cert as VerifiedCertificate;
}
