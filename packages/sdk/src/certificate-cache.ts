// Holds the current certificate and renews it before it expires. Concurrent callers share one
// issuance request, so a burst of calls at renewal time costs the issuer a single certificate.
import type { IssuedCertificate } from './issue-certificate.js';

/**
 * Caches certificates from `issue`. A certificate is renewed once less than `renewBeforeSeconds`
 * of it remains; when its whole lifetime is not longer than that, at half its lifetime instead, so
 * a short issuer TTL never turns into one issuance per call.
 */
export class CertificateCache {
  readonly #issue: () => Promise<IssuedCertificate>;
  readonly #renewBeforeSeconds: number;
  readonly #now: () => number;
  #current: IssuedCertificate | undefined;
  #pending: Promise<IssuedCertificate> | undefined;

  constructor(
    issue: () => Promise<IssuedCertificate>,
    renewBeforeSeconds: number,
    now: () => number,
  ) {
    this.#issue = issue;
    this.#renewBeforeSeconds = renewBeforeSeconds;
    this.#now = now;
  }

  /** The current certificate, renewed first when it is due. A failed renewal throws; the next call tries again. */
  async get(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && !this.#due(current)) return current.token;
    return (await this.#renew()).token;
  }

  /**
   * A certificate other than `stale`, which a gateway refused (expired, revoked, profile
   * changed). When another caller already replaced it, that replacement is returned.
   */
  async replace(stale: string): Promise<string> {
    const current = this.#current;
    if (current !== undefined && current.token !== stale && !this.#due(current)) {
      return current.token;
    }
    if (current?.token === stale) this.#current = undefined;
    return (await this.#renew()).token;
  }

  #due(certificate: IssuedCertificate): boolean {
    const lifetime = certificate.expiresAt - certificate.issuedAt;
    const margin = this.#renewBeforeSeconds < lifetime ? this.#renewBeforeSeconds : lifetime / 2;
    return certificate.expiresAt - this.#now() / 1000 < margin;
  }

  /** MUST start at most one issuance at a time; every caller in the meantime awaits the same one. */
  #renew(): Promise<IssuedCertificate> {
    this.#pending ??= this.#issue()
      .then((issued) => {
        this.#current = issued;
        return issued;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }
}
