// Authentication of every request to the LLM endpoints before anything of it is read: the
// certificate (`Authorization: AgentCert …`) and the proof of possession (`DPoP: …`) naming this
// endpoint's public URL (built from the configured public base URL, never from the Host header).
// A failure is a VerifyError with its stable code, answered 401 at the edge.
//
// The control plane's authenticator checks the request once, here (a proof is single-use); its
// result is handed to the guard as `authenticated`, which the guard accepts only because that
// authenticator vouches for it.
import { type AgentCertificateClaims, type VerifiedAgentRequest, VerifyError } from '@zt4ai/verify';
import { credentialsFrom, type IdentityService } from '../identity/index.js';

export type EdgeAuthentication =
  | {
      readonly ok: true;
      readonly claims: AgentCertificateClaims;
      readonly verified: VerifiedAgentRequest;
    }
  | { readonly ok: false; readonly error: VerifyError };

export interface EdgeAuthOptions {
  readonly authenticator: Pick<IdentityService['authenticator'], 'authenticate'>;
  /** The public base URL: proofs name `<base><path>`. */
  readonly baseUrl: string;
}

export class EdgeAuthenticator {
  readonly #options: EdgeAuthOptions;

  constructor(options: EdgeAuthOptions) {
    this.#options = options;
  }

  /** Verifies certificate and proof; anything but a VerifyError (the store down) is thrown. */
  async authenticate(
    headers: { readonly authorization?: string | undefined; readonly dpop?: string | undefined },
    method: string,
    path: string,
  ): Promise<EdgeAuthentication> {
    const credentials = credentialsFrom(headers, method, `${this.#options.baseUrl}${path}`);
    try {
      const verified = await this.#options.authenticator.authenticate(credentials);
      return { ok: true, claims: verified.claims, verified };
    } catch (error) {
      if (error instanceof VerifyError) return { ok: false, error };
      throw error;
    }
  }
}
