// Authentication of every request to /mcp before its body is parsed (docs/mcp-gateway.md,
// "Authentication"): `Authorization: AgentCert <certificate>` and `DPoP: <proof>`, read by
// identity/credential-headers.ts, the proof naming the endpoint URL built from the configured
// public base URL (never from the Host header).
//
// The control plane's authenticator checks certificate and proof once, here (a proof is
// single-use); guarded calls hand its result to the guard as `authenticated`, which the guard
// accepts only because that authenticator vouches for it.
import { type VerifiedAgentRequest, VerifyError } from '@zt4ai/verify';
import type { GuardPrincipal } from '../guard/index.js';
import { credentialsFrom, type IdentityService } from '../identity/index.js';

/** Who sent a request, established from its certificate and proof. */
export interface EdgeIdentity {
  readonly principal: GuardPrincipal;
  /** What the guard takes as the request's authentication for guarded calls. */
  readonly verified: VerifiedAgentRequest;
}

export type EdgeAuthentication =
  | { readonly ok: true; readonly identity: EdgeIdentity }
  | { readonly ok: false; readonly error: VerifyError };

export interface EdgeAuthOptions {
  readonly identity: Pick<IdentityService, 'authenticator' | 'agentTeam'>;
  /** The endpoint's public URL (`<public base URL>/mcp`): what every proof must name. */
  readonly endpointUrl: string;
}

export class EdgeAuthenticator {
  readonly #options: EdgeAuthOptions;

  constructor(options: EdgeAuthOptions) {
    this.#options = options;
  }

  /**
   * Verifies certificate (signature, expiry, audience, revocation, agent state) and proof (key,
   * method, URL, certificate hash, age, single use). A VerifyError is an authentication failure;
   * anything else (the store unreachable) is thrown for the caller to answer as a server error.
   */
  async authenticate(headers: Headers, method: string): Promise<EdgeAuthentication> {
    const credentials = credentialsFrom(
      { authorization: headers.get('authorization'), dpop: headers.get('dpop') },
      method,
      this.#options.endpointUrl,
    );
    try {
      const verified = await this.#options.identity.authenticator.authenticate(credentials);
      return { ok: true, identity: { principal: await this.#principal(verified), verified } };
    } catch (error) {
      if (error instanceof VerifyError) return { ok: false, error };
      throw error;
    }
  }

  async #principal(verified: VerifiedAgentRequest): Promise<GuardPrincipal> {
    const claims = verified.claims;
    return {
      id: claims.agent.id,
      name: claims.agent.name,
      owner: claims.agent.owner,
      team: await this.#options.identity.agentTeam(claims.agent.id),
      mission: claims.mission.id,
    };
  }
}
