// Authentication of every request to the LLM endpoints before anything of it is read: the
// certificate (`Authorization: AgentCert …`) and the proof of possession (`DPoP: …`) naming this
// endpoint's public URL (built from the configured public base URL, never from the Host header).
// A failure is a VerifyError with its stable code, answered 401 at the edge.
//
// Model calls are authenticated twice: here, and again by the guard, given the same credentials.
// A proof is single-use, so this edge keeps its own replay cache (as the MCP gateway's edge does):
// each cache sees each proof once, a replayed proof is refused here, and the guard's check is not
// mistaken for a replay.
import {
  type AgentCertificateClaims,
  MemoryReplayCache,
  type ReplayCache,
  verifyProofOfPossession,
  VerifyError,
} from '@zt4ai/verify';
import type { AgentCredentials, IdentityService } from '../identity/index.js';

const SCHEME = /^AgentCert\s+(\S+)$/;

export type EdgeAuthentication =
  | {
      readonly ok: true;
      readonly claims: AgentCertificateClaims;
      readonly credentials: AgentCredentials;
    }
  | { readonly ok: false; readonly error: VerifyError };

export interface EdgeAuthOptions {
  readonly authenticator: Pick<IdentityService['authenticator'], 'checkCertificate'>;
  /** The public base URL: proofs name `<base><path>`. */
  readonly baseUrl: string;
  readonly proofMaxAgeSeconds: number;
  readonly now?: () => number;
}

export class EdgeAuthenticator {
  readonly #options: EdgeAuthOptions;
  readonly #replay: ReplayCache;
  readonly #now: () => number;

  constructor(options: EdgeAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#replay = new MemoryReplayCache({ now: () => this.#now() / 1000 });
  }

  /** Verifies certificate and proof; anything but a VerifyError (the store down) is thrown. */
  async authenticate(
    headers: { readonly authorization?: string | undefined; readonly dpop?: string | undefined },
    method: string,
    path: string,
  ): Promise<EdgeAuthentication> {
    const credentials: AgentCredentials = {
      certificate: SCHEME.exec(headers.authorization ?? '')?.[1],
      proof: headers.dpop,
      method,
      url: `${this.#options.baseUrl}${path}`,
    };
    try {
      return { ok: true, claims: await this.#verify(credentials), credentials };
    } catch (error) {
      if (error instanceof VerifyError) return { ok: false, error };
      throw error;
    }
  }

  async #verify(credentials: AgentCredentials): Promise<AgentCertificateClaims> {
    if (credentials.certificate === undefined) throw new VerifyError('token-malformed');
    const verified = await this.#options.authenticator.checkCertificate(credentials.certificate);
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
    return verified.claims;
  }
}
