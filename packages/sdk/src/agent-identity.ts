// AgentIdentity: what an agent process links (DESIGN §3, §4). It holds the agent key, keeps a
// current certificate, signs proofs of possession and offers a fetch that attaches both.
import type { JWK } from 'jose';
import { type AgentKey, generateAgentKey, importAgentKey } from './agent-key.js';
import { authenticatedFetch } from './authenticated-fetch.js';
import { CertificateCache } from './certificate-cache.js';
import { issueCertificate } from './issue-certificate.js';
import { type AgentIdentityOptions, type KeySource, resolveOptions } from './options.js';
import { sha256Base64url, signProof } from './proof.js';

/** Options of {@link AgentIdentity.proof}. */
export interface ProofOptions {
  /** The certificate the proof is for (its `ath`); default the current one. */
  certificate?: string;
  /** A nonce the server asked for (RFC 9449 §8). */
  nonce?: string;
}

/**
 * An agent's identity: its Ed25519 key, its certificates from the control plane and its proofs of
 * possession. Create one with {@link AgentIdentity.create}.
 */
export class AgentIdentity {
  /** The agent's public key `{kty, crv, x}`: register it with `zt4ai agent register --public-key`. */
  readonly publicJwk: JWK;
  /**
   * `fetch` with `Authorization: AgentCert <certificate>` and a fresh `DPoP: <proof>` on every
   * call. On a 401 `use_dpop_nonce` challenge it retries once with the server's nonce; on a 401
   * `expired`, `revoked` or `profile-changed` it renews the certificate once and retries. It only
   * retries requests whose body can be sent again (none, a string or a Uint8Array); others get the
   * 401 response. It rejects with {@link SdkError} when no certificate can be obtained.
   *
   * It attaches the credentials to every URL it is given: use it for gateway calls only.
   */
  readonly fetch: typeof fetch;
  readonly #key: AgentKey;
  readonly #certificates: CertificateCache;
  readonly #now: () => number;

  private constructor(
    key: AgentKey,
    certificates: CertificateCache,
    send: typeof fetch,
    now: () => number,
  ) {
    this.#key = key;
    this.#certificates = certificates;
    this.#now = now;
    this.publicJwk = key.publicJwk as JWK;
    this.fetch = authenticatedFetch({
      fetch: send,
      certificate: () => certificates.get(),
      replaceCertificate: (stale) => certificates.replace(stale),
      proof: (method, url, options) => this.proof(method, url, options),
    });
  }

  /**
   * Loads or generates the agent key; requests no certificate yet (the first use does). Throws
   * TypeError for invalid options and SdkError `key-invalid`, `key-file-unreadable` or
   * `key-file-insecure` for a bad key.
   */
  static async create(options: AgentIdentityOptions): Promise<AgentIdentity> {
    const resolved = resolveOptions(options);
    const key = await loadKey(resolved.key);
    const context = {
      issuer: resolved.issuer,
      key,
      body: resolved.body,
      fetch: resolved.fetch,
      now: resolved.now,
    };
    const certificates = new CertificateCache(
      () => issueCertificate(context),
      resolved.renewBeforeSeconds,
      resolved.now,
    );
    return new AgentIdentity(key, certificates, resolved.fetch, resolved.now);
  }

  /** RFC 7638 thumbprint of the agent key: the `cnf.jkt` of its certificates. */
  async thumbprint(): Promise<string> {
    return this.#key.thumbprint;
  }

  /**
   * The current certificate (compact JWS). Cached, renewed before it expires; concurrent callers
   * share one issuance request. Throws SdkError: `profile-not-approved` (the presented model or
   * prompt differs from the approved profile and now awaits approval), `agent-not-active`,
   * `issuance-refused`, `issuer-unreachable`, `issuer-error` or `certificate-invalid`.
   */
  async certificate(): Promise<string> {
    return this.#certificates.get();
  }

  /**
   * A single-use proof of possession for one request: `htm` = method, `htu` = the URL without
   * query and fragment, `ath` = SHA-256 of the certificate, a random `jti`, `iat` = now.
   */
  async proof(method: string, url: string, options: ProofOptions = {}): Promise<string> {
    if (typeof method !== 'string' || method === '') throw new TypeError('method must be a string');
    if (typeof url !== 'string') throw new TypeError('url must be a string');
    const certificate = options.certificate ?? (await this.certificate());
    return signProof(this.#key, {
      method,
      url,
      ath: await sha256Base64url(certificate),
      nonce: options.nonce,
      nowMs: this.#now(),
    });
  }
}

async function loadKey(source: KeySource | undefined): Promise<AgentKey> {
  if (source === undefined) return generateAgentKey();
  if ('privateJwk' in source) return importAgentKey(source.privateJwk);
  // Loaded on demand: the only Node-specific module, never reached in a browser.
  const { loadOrCreateKeyFile } = await import('./key-file.js');
  return importAgentKey(await loadOrCreateKeyFile(source.file));
}
