// Authenticates one agent request: certificate + proof of possession (via @zt4ai/verify), then the
// live security state (docs/identity.md rule 3): not revoked, agent active, profile unchanged.
// Every gateway calls this; it never decides anything else.
import {
  CertificateVerifier,
  type ReplayCache,
  type VerifiedAgentRequest,
  type VerifiedCertificate,
  verifyAgentRequest,
  VerifyError,
} from '@zt4ai/verify';
import type { Jwks } from './issuer-keys.js';
import type { SecuritySnapshot, SecurityState } from './security-state.js';

export interface AuthenticatorOptions {
  readonly issuer: string;
  /** The audience this gateway accepts. */
  readonly audience: string;
  readonly clockSkewSeconds: number;
  readonly replayCache: ReplayCache;
  readonly now: () => Date;
  /**
   * Told of a valid certificate presented with a proof that does not hold (another key, a replay,
   * another method, URL or body): a sign the certificate has leaked. Awaited, so that containment
   * is in force when the request is refused; its failures never change the refusal.
   */
  readonly onMisuse?: (misuse: CertificateMisuse) => Promise<void>;
  /** Told of every refusal (its code and the URL the proof had to name); must not throw. */
  readonly onRefused?: (code: string, url: string) => void;
}

export interface CertificateMisuse {
  readonly agent: string;
  readonly jti: string;
  readonly code: string;
}

/** Proof failures under a certificate that verified: only a holder of the certificate gets here. */
const MISUSE_CODES: ReadonlySet<string> = new Set([
  'proof-key-mismatch',
  'proof-replayed',
  'proof-method-mismatch',
  'proof-url-mismatch',
  'proof-ath-mismatch',
]);
/** One report per certificate per this interval: a flood of bad proofs is one signal, not many. */
const MISUSE_REPORT_INTERVAL_MS = 1000;

/** What the headers of a request carry. */
export interface AgentCredentials {
  readonly certificate: string | undefined;
  readonly proof: string | undefined;
  readonly method: string;
  readonly url: string;
}

/** How long a result of `authenticate` may be handed on: the handling of one request. */
const VOUCH_TTL_MS = 10_000;

export class AgentAuthenticator {
  readonly #state: SecurityState;
  readonly #options: AuthenticatorOptions;
  readonly #verifier: CertificateVerifier;
  #keys: string | undefined;
  #seen: SecuritySnapshot | undefined;
  /**
   * Results this authenticator produced, with when: an enforcement point hands one on (within the
   * request it authenticated) instead of proving possession twice.
   */
  readonly #vouched = new WeakMap<VerifiedAgentRequest, number>();
  /** Last misuse report per certificate id. */
  readonly #reported = new Map<string, number>();

  constructor(state: SecurityState, options: AuthenticatorOptions) {
    this.#state = state;
    this.#options = options;
    this.#verifier = new CertificateVerifier({
      jwks: { keys: [] },
      issuer: options.issuer,
      audience: options.audience,
      clockToleranceSeconds: options.clockSkewSeconds,
      now: () => options.now().getTime() / 1000,
    });
  }

  /** Resolves with the verified request, or throws VerifyError with the stable code. */
  async authenticate(credentials: AgentCredentials): Promise<VerifiedAgentRequest> {
    const snapshot = await this.#snapshot();
    let verified: VerifiedAgentRequest;
    try {
      verified = await verifyAgentRequest(credentials, {
        verifier: this.#verifier,
        replayCache: this.#options.replayCache,
        isRevoked: (certificate) => isRevoked(certificate, snapshot),
      });
      checkAgentState(verified, snapshot);
    } catch (error) {
      if (error instanceof VerifyError) this.#options.onRefused?.(error.code, credentials.url);
      if (error instanceof VerifyError && MISUSE_CODES.has(error.code))
        await this.#reportMisuse(credentials.certificate, error.code);
      throw error;
    }
    this.#vouched.set(verified, this.#options.now().getTime());
    return verified;
  }

  /**
   * True when `verified` is a result of this authenticator's `authenticate` (the very object, not a
   * look-alike) made less than VOUCH_TTL_MS ago: the guard accepts such a result from the
   * enforcement point that is handling that request, so a single-use proof is checked once. An old
   * result is refused: revocation and agent state were checked when it was made.
   */
  vouches(verified: VerifiedAgentRequest): boolean {
    const at = this.#vouched.get(verified);
    return at !== undefined && this.#options.now().getTime() - at < VOUCH_TTL_MS;
  }

  /**
   * Checks a certificate alone, without a proof (operators' `cert verify`): everything but
   * possession, including revocation and agent state.
   */
  async checkCertificate(token: string): Promise<VerifiedCertificate> {
    const snapshot = await this.#snapshot();
    const verified = await this.#verifier.verify(token);
    if (typeof (verified.claims.cnf as { jkt?: unknown } | undefined)?.jkt !== 'string') {
      throw new VerifyError('cnf-missing');
    }
    if (isRevoked(verified, snapshot)) throw new VerifyError('revoked');
    checkAgentState(verified, snapshot);
    return verified;
  }

  async #reportMisuse(certificate: string | undefined, code: string): Promise<void> {
    const report = this.#options.onMisuse;
    if (report === undefined || certificate === undefined) return;
    try {
      // The certificate verified before the proof was checked, so this is a cache hit.
      const { claims } = await this.#verifier.verify(certificate);
      const now = this.#options.now().getTime();
      if (now - (this.#reported.get(claims.jti) ?? -Infinity) < MISUSE_REPORT_INTERVAL_MS) return;
      if (this.#reported.size >= 10_000) this.#reported.clear();
      this.#reported.set(claims.jti, now);
      await report({ agent: claims.agent.id, jti: claims.jti, code });
    } catch {
      // The refusal stands whatever happens to its report.
    }
  }

  async #snapshot(): Promise<SecuritySnapshot> {
    const snapshot = await this.#state.current();
    if (snapshot === this.#seen) return snapshot;
    this.#seen = snapshot;
    // Reloads of the security state make a new key-set object each time; only a real change of
    // keys may empty the verified-certificate cache.
    const keys = keySetFingerprint(snapshot.verificationKeys);
    if (keys !== this.#keys) {
      this.#verifier.setJwks(snapshot.verificationKeys);
      this.#keys = keys;
    }
    return snapshot;
  }
}

function checkAgentState(verified: VerifiedCertificate, snapshot: SecuritySnapshot): void {
  const agent = snapshot.agents.get(verified.claims.agent.id);
  if (agent === undefined || agent.status !== 'active') throw new VerifyError('agent-not-active');
  if (agent.profileVersion !== verified.claims.agent.version) {
    throw new VerifyError('profile-changed');
  }
}

function isRevoked(certificate: VerifiedCertificate, snapshot: SecuritySnapshot): boolean {
  const { claims, kid } = certificate;
  const epoch = (claims.agent as { epoch?: unknown }).epoch;
  const agent = snapshot.agents.get(claims.agent.id);
  return (
    snapshot.revokedJtis.has(claims.jti) ||
    snapshot.revokedKids.has(kid) ||
    (agent !== undefined && (typeof epoch !== 'number' || epoch < agent.epoch))
  );
}

function keySetFingerprint(jwks: Jwks): string {
  return jwks.keys.map((k) => `${k.kid ?? ''}:${k.x ?? ''}`).join(',');
}
