// Operator single sign-on: the OpenID Connect authorization code flow with PKCE, state and nonce
// (openid-client does the protocol: discovery, the token request, the ID token's signature,
// issuer, audience, expiry and nonce). Between the redirect to the provider and the callback, the
// flow's secrets travel in a cookie sealed under a key derived from the master key, so any gateway
// behind the same URL can finish a login another one started, and nothing is kept per process.
//
// From the verified ID token: the operator's name is the `nameClaim` (default email; with
// email_verified false the login is refused), the roles come from the `rolesClaim` groups through
// the configured map. No mapped role, no login.
import * as oidc from 'openid-client';
import type { OidcConfig } from '../config/index.js';
import { ZtError } from '../errors.js';
import { seal, unseal } from '../secrets/index.js';

/** How long a started login may take at the provider. */
export const OIDC_STATE_TTL_SECONDS = 600;
/**
 * How long a failed discovery answers every login before the provider is asked again: the start
 * route is open to anyone, and must not turn each request into one to the provider.
 */
export const OIDC_RETRY_AFTER_MS = 5000;
const STATE_CONTEXT = 'zt4ai oidc state';

/** What the callback needs to finish a login, sealed into the state cookie. */
interface FlowState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly expiresAt: number;
}

/** A login started: send the browser to `url`, with `cookie` set. */
export interface StartedLogin {
  readonly url: string;
  readonly cookie: string;
}

/** Who the provider says logged in. */
export interface ProviderIdentity {
  readonly name: string;
  readonly roles: readonly string[];
  readonly subject: string;
}

export class OidcLogin {
  readonly #config: OidcConfig;
  readonly #stateKey: Buffer;
  readonly #now: () => number;
  #discovered: Promise<oidc.Configuration> | undefined;
  /** When a failed discovery may be tried again (Infinity while none failed). */
  #retryAt = Infinity;

  constructor(config: OidcConfig, stateKey: Buffer, now: () => number = Date.now) {
    this.#config = config;
    this.#stateKey = stateKey;
    this.#now = now;
  }

  /** The provider's authorization URL for a new login, and the sealed state for the callback. */
  async start(): Promise<StartedLogin> {
    const provider = await this.#provider();
    const flow: FlowState = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      expiresAt: this.#now() + OIDC_STATE_TTL_SECONDS * 1000,
    };
    const url = oidc.buildAuthorizationUrl(provider, {
      redirect_uri: this.#config.redirectUrl,
      scope: this.#config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
      ...(this.#config.maxAgeSeconds === undefined
        ? {}
        : { max_age: String(this.#config.maxAgeSeconds) }),
    });
    const sealed = seal(this.#stateKey, Buffer.from(JSON.stringify(flow)), STATE_CONTEXT);
    return { url: url.href, cookie: sealed.toString('base64url') };
  }

  /**
   * Finishes a login with the query the provider sent the browser back with (`?code=…&state=…`).
   * Throws `login-invalid` for anything that does not prove a fresh login of an account with a
   * role here, and `oidc-unavailable` when the provider cannot be reached.
   */
  async finish(query: string, cookie: string | undefined): Promise<ProviderIdentity> {
    const flow = this.#openState(cookie);
    const provider = await this.#provider();
    const callbackUrl = new URL(this.#config.redirectUrl);
    callbackUrl.search = query;
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(provider, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
        ...(this.#config.maxAgeSeconds === undefined ? {} : { maxAge: this.#config.maxAgeSeconds }),
      });
      claims = tokens.claims();
    } catch (cause) {
      throw asLoginError(cause, 'the provider did not confirm the login');
    }
    if (claims === undefined) throw new ZtError('login-invalid', 'the provider sent no ID token');
    return this.#identity(claims);
  }

  #identity(claims: oidc.IDToken): ProviderIdentity {
    const name = claims[this.#config.nameClaim];
    if (typeof name !== 'string' || name === '')
      throw new ZtError('login-invalid', `the ID token has no ${this.#config.nameClaim} claim`);
    if (this.#config.nameClaim === 'email' && claims.email_verified === false)
      throw new ZtError('login-invalid', "the account's e-mail address is not verified");
    const groups = claims[this.#config.rolesClaim];
    const list = typeof groups === 'string' ? [groups] : Array.isArray(groups) ? groups : [];
    const roles = new Set<string>();
    for (const group of list)
      if (typeof group === 'string')
        for (const role of this.#config.roles[group] ?? []) roles.add(role);
    if (roles.size === 0)
      throw new ZtError('login-invalid', 'the account has no zt4ai role at the provider');
    return { name, roles: [...roles].sort(), subject: claims.sub };
  }

  #openState(cookie: string | undefined): FlowState {
    if (cookie === undefined || cookie === '')
      throw new ZtError('login-invalid', 'no login was started in this browser');
    let flow: FlowState;
    try {
      flow = JSON.parse(
        unseal(this.#stateKey, Buffer.from(cookie, 'base64url'), STATE_CONTEXT).toString(),
      ) as FlowState;
    } catch {
      throw new ZtError('login-invalid', 'the login state is not valid');
    }
    if (this.#now() > flow.expiresAt)
      throw new ZtError('login-invalid', 'the login took too long; start again');
    return flow;
  }

  /** Discovery, once; after a failure, tried again by the first login OIDC_RETRY_AFTER_MS later. */
  #provider(): Promise<oidc.Configuration> {
    if (this.#discovered === undefined) {
      const discovered = this.#discover().catch((cause: unknown) => {
        this.#retryAt = this.#now() + OIDC_RETRY_AFTER_MS;
        throw new ZtError('oidc-unavailable', 'the identity provider cannot be reached', { cause });
      });
      discovered.catch(() => undefined); // each login observes it
      this.#discovered = discovered;
      this.#retryAt = Infinity;
    } else if (this.#now() >= this.#retryAt) {
      this.#discovered = undefined;
      return this.#provider();
    }
    return this.#discovered;
  }

  #discover(): Promise<oidc.Configuration> {
    const issuer = new URL(this.#config.issuer);
    return oidc.discovery(
      issuer,
      this.#config.clientId,
      undefined,
      oidc.ClientSecretBasic(this.#config.clientSecret.reveal()),
      // Configuration allows http only for a provider on loopback (operators-config.ts).
      issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {},
    );
  }
}

/** A failure of the code exchange: the provider's fault is unavailability, anything else invalid. */
function asLoginError(cause: unknown, message: string): ZtError {
  const network =
    cause instanceof TypeError || (cause as { code?: string })?.code === 'OAUTH_TIMEOUT';
  return network
    ? new ZtError('oidc-unavailable', 'the identity provider cannot be reached', { cause })
    : new ZtError('login-invalid', message, { cause });
}
