// A certificate verifier for a gateway: one key set, and a bounded cache of verified certificates so the signature is checked once per certificate.
import { VerifyError } from '../errors.js';
import { assertString } from '../checks.js';
import { readClock } from './clock.js';
import { MAX_TOKEN_CHARS } from './decode-jws.js';
import { assertJwks } from './issuer-keys.js';
import type { JsonWebKeySetLike } from './issuer-keys.js';
import {
  bindCertificate,
  checkValidity,
  resolveCertificateOptions,
  verifyUnboundCertificate,
} from './verify-certificate.js';
import type {
  CertificateCheckOptions,
  ResolvedCertificateOptions,
  UnboundCertificate,
  VerifiedCertificate,
} from './verify-certificate.js';

/** Default number of verified certificates a {@link CertificateVerifier} keeps. */
export const DEFAULT_CERTIFICATE_CACHE_SIZE = 10_000;

/** Options of {@link CertificateVerifier}: the checks, and the cache size (0 disables the cache). */
export type CertificateVerifierOptions = CertificateCheckOptions & { cacheSize?: number };

// Package-internal access to the verifier's steps (set in the class's static block), for verifyAgentRequest.
let unboundOf: (
  verifier: CertificateVerifier,
  token: string,
  now: number | undefined,
) => Promise<UnboundCertificate>;
let clockOf: (verifier: CertificateVerifier) => () => number;

/**
 * Verifies certificates like `verifyAgentCertificate`, caching each verified one (bounded, least
 * recently used first out) so later uses skip decoding and the signature. On a cache hit `iss`,
 * `aud`, `nbf` and `exp` MUST still be checked against the current time, so a cached certificate
 * stops working at its `exp`. Only successes are cached. {@link setJwks} empties the cache.
 */
export class CertificateVerifier {
  #options: ResolvedCertificateOptions;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, UnboundCertificate>();
  // Bumped by setJwks: a verification that began under the old key set is not cached.
  #generation = 0;

  constructor(options: CertificateVerifierOptions) {
    this.#options = resolveCertificateOptions(options);
    const size = options.cacheSize ?? DEFAULT_CERTIFICATE_CACHE_SIZE;
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('cacheSize: integer >= 0');
    this.#cacheSize = size;
  }

  /** Verifies a certificate (see `verifyAgentCertificate` for the checks and codes). */
  async verify(token: string): Promise<VerifiedCertificate> {
    return bindCertificate(await this.#verifyUnbound(token, undefined));
  }

  /**
   * Replaces the issuer key set (key rotation, key revocation) and empties the cache, so no
   * certificate verified under a removed key is accepted again.
   */
  setJwks(jwks: JsonWebKeySetLike): void {
    assertJwks(jwks);
    this.#options = { ...this.#options, jwks };
    this.#cache.clear();
    this.#generation++;
  }

  async #verifyUnbound(token: unknown, now: number | undefined): Promise<UnboundCertificate> {
    assertString(token, 'token');
    if (token.length > MAX_TOKEN_CHARS) throw new VerifyError('token-too-large');
    const o = this.#options;
    const t = now ?? readClock(o.now);
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      this.#cache.delete(token); // re-inserted below only if still valid: Map order is recency
      checkValidity(hit.claims, o, t);
      this.#cache.set(token, hit);
      return hit;
    }
    const generation = this.#generation;
    const cert = await verifyUnboundCertificate(token, o, t);
    if (generation === this.#generation && this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(token, cert);
    }
    return cert;
  }

  static {
    unboundOf = (verifier, token, now) => verifier.#verifyUnbound(token, now);
    clockOf = (verifier) => verifier.#options.now;
  }
}

/** Package-internal: every certificate check but `cnf` (see verifyAgentRequest for why). */
export function verifyUnboundWith(
  verifier: CertificateVerifier,
  token: string,
  now: number | undefined,
): Promise<UnboundCertificate> {
  return unboundOf(verifier, token, now);
}

/** Package-internal: the verifier's clock. */
export function verifierClock(verifier: CertificateVerifier): () => number {
  return clockOf(verifier);
}
