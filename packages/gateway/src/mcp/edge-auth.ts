// Authentication of every request to /mcp before its body is parsed (docs/mcp-gateway.md,
// "Authentication"): `Authorization: AgentCert <certificate>` and `DPoP: <proof>`, exactly as
// api/agent-credentials.ts reads them, the proof naming the endpoint URL built from the configured
// public base URL (never from the Host header).
//
// Guarded calls are authenticated twice: here, and again by the guard, which is given the same
// credentials. A proof is single-use, so this edge keeps its own replay cache: each cache sees each
// proof once, a replayed proof is refused here, and the guard's check is not mistaken for a replay
// (the identity service does the same for issuance proofs).
import {
  MemoryReplayCache,
  type ReplayCache,
  verifyProofOfPossession,
  VerifyError,
} from '@zt4ai/verify';
import type { GuardPrincipal } from '../guard/index.js';
import type { AgentCredentials, IdentityService } from '../identity/index.js';

const SCHEME = /^AgentCert\s+(\S+)$/;

/** Who sent a request, established from its certificate and proof. */
export interface EdgeIdentity {
  readonly principal: GuardPrincipal;
  /** What the guard authenticates again for guarded calls. */
  readonly credentials: AgentCredentials;
}

export type EdgeAuthentication =
  | { readonly ok: true; readonly identity: EdgeIdentity }
  | { readonly ok: false; readonly error: VerifyError };

export interface EdgeAuthOptions {
  readonly identity: Pick<IdentityService, 'authenticator' | 'agents'>;
  /** The endpoint's public URL (`<public base URL>/mcp`): what every proof must name. */
  readonly endpointUrl: string;
  readonly proofMaxAgeSeconds: number;
  readonly now?: () => number;
  readonly replayCache?: ReplayCache;
}

export class EdgeAuthenticator {
  readonly #options: EdgeAuthOptions;
  readonly #replay: ReplayCache;
  readonly #now: () => number;

  constructor(options: EdgeAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#replay = options.replayCache ?? new MemoryReplayCache({ now: () => this.#now() / 1000 });
  }

  /**
   * Verifies certificate (signature, expiry, audience, revocation, agent state) and proof (key,
   * method, URL, certificate hash, age, single use). A VerifyError is an authentication failure;
   * anything else (the store unreachable) is thrown for the caller to answer as a server error.
   */
  async authenticate(headers: Headers, method: string): Promise<EdgeAuthentication> {
    const credentials: AgentCredentials = {
      certificate: SCHEME.exec(headers.get('authorization') ?? '')?.[1],
      proof: headers.get('dpop') ?? undefined,
      method,
      url: this.#options.endpointUrl,
    };
    try {
      const principal = await this.#verify(credentials);
      return { ok: true, identity: { principal, credentials } };
    } catch (error) {
      if (error instanceof VerifyError) return { ok: false, error };
      throw error;
    }
  }

  async #verify(credentials: AgentCredentials): Promise<GuardPrincipal> {
    if (credentials.certificate === undefined) throw new VerifyError('token-malformed');
    const { authenticator, agents } = this.#options.identity;
    const verified = await authenticator.checkCertificate(credentials.certificate);
    if (credentials.proof === undefined || credentials.proof === '')
      throw new VerifyError('proof-missing');
    await verifyProofOfPossession(credentials.proof, {
      method: credentials.method,
      url: credentials.url,
      certificate: credentials.certificate,
      jkt: verified.claims.cnf.jkt,
      replayCache: this.#replay,
      now: () => this.#now() / 1000,
      maxAgeSeconds: this.#options.proofMaxAgeSeconds,
    });
    const claims = verified.claims;
    const agent = await agents.get(claims.agent.id);
    return {
      id: claims.agent.id,
      name: claims.agent.name,
      owner: claims.agent.owner,
      team: agent.team,
      mission: claims.mission.id,
    };
  }
}
