// The whole of docs/identity.md acceptance rules 1–2 for one request, plus the caller's revocation check (rule 3).
import { VerifyError } from '../errors.js';
import { readClock } from './clock.js';
import { CertificateVerifier, verifierClock, verifyUnboundWith } from './certificate-verifier.js';
import { bindCertificate } from './verify-certificate.js';
import type { VerifiedCertificate } from './verify-certificate.js';
import { verifyProofOfPossession } from './verify-proof.js';
import type { ReplayCache } from './replay-cache.js';
import type { VerifiedProof } from './verify-proof.js';

/** What a request carries: `Authorization: AgentCert <certificate>`, `DPoP: <proof>`, method, URL. */
export interface AgentRequestInput {
  /** The certificate; absent or empty is `token-malformed`. */
  certificate?: string | undefined;
  /** The proof of possession; absent or empty is `proof-missing`. */
  proof?: string | undefined;
  /** HTTP method. */
  method: string;
  /** Full request URL (scheme, host, path; query and fragment are ignored). */
  url: string;
}

/** Options of {@link verifyAgentRequest}. */
export interface AgentRequestOptions {
  /** Verifies (and caches) certificates. */
  verifier: CertificateVerifier;
  /** Where proof jtis are recorded. */
  replayCache: ReplayCache;
  /** Current time in epoch seconds for both tokens; default the verifier's clock. */
  now?: () => number;
  /** When given, MUST return true for the proof's `nonce`. */
  expectedNonce?: (nonce: string | undefined) => boolean;
  /** Revocation (by certificate jti, agent or issuer key): true refuses with `revoked`. */
  isRevoked?: (certificate: VerifiedCertificate) => boolean | Promise<boolean>;
}

/** A request whose certificate and proof both verified. */
export type VerifiedAgentRequest = VerifiedCertificate & { proof: VerifiedProof };

/**
 * Verifies one agent request. Steps, in order, each with its own code: the certificate (every
 * check but `cnf`); `proof-missing`; `cnf-missing`; the proof, bound to the certificate's
 * `cnf.jkt` and to this method, URL and certificate (its jti is recorded last); then
 * `isRevoked` → `revoked`. Agent state and profile (rule 3) are the caller's, after this.
 */
export async function verifyAgentRequest(
  input: AgentRequestInput,
  options: AgentRequestOptions,
): Promise<VerifiedAgentRequest> {
  if (typeof input !== 'object' || input === null) throw new TypeError('input required');
  if (typeof options !== 'object' || options === null) throw new TypeError('options required');
  const { verifier, isRevoked } = options;
  if (!(verifier instanceof CertificateVerifier)) throw new TypeError('verifier required');
  if (isRevoked !== undefined && typeof isRevoked !== 'function') {
    throw new TypeError('isRevoked: function');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('now: function');
  }
  const { certificate, proof } = input;
  if (certificate !== undefined && typeof certificate !== 'string') {
    throw new TypeError('certificate must be a string');
  }
  if (proof !== undefined && typeof proof !== 'string') throw new TypeError('proof: string');
  if (certificate === undefined || certificate === '') throw new VerifyError('token-malformed');

  const now = options.now ?? verifierClock(verifier);
  const unbound = await verifyUnboundWith(verifier, certificate, readClock(now));
  if (proof === undefined || proof === '') throw new VerifyError('proof-missing');
  const cert = bindCertificate(unbound);
  const verifiedProof = await verifyProofOfPossession(proof, {
    method: input.method,
    url: input.url,
    certificate,
    jkt: cert.claims.cnf.jkt,
    replayCache: options.replayCache,
    now,
    ...(options.expectedNonce !== undefined ? { expectedNonce: options.expectedNonce } : {}),
  });
  if (isRevoked !== undefined && (await isRevoked(cert)) === true) {
    throw new VerifyError('revoked');
  }
  return { ...cert, proof: verifiedProof };
}
