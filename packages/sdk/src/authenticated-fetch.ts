// Wraps fetch so every request carries `Authorization: AgentCert <certificate>` and a fresh
// `DPoP: <proof>` made for that method and URL (docs/identity.md), with at most one retry for a
// nonce challenge (RFC 9449 §8) and one with a renewed certificate when a gateway refused the old one.
import { discard, dpopNonce, errorCode, nonceChallenge } from './wire.js';

/** What the wrapper needs from the identity: certificates and proofs. */
export interface FetchCredentials {
  readonly fetch: typeof fetch;
  certificate(): Promise<string>;
  /** A replacement for a certificate a gateway refused. */
  replaceCertificate(stale: string): Promise<string>;
  proof(
    method: string,
    url: string,
    options: { certificate: string; nonce?: string },
  ): Promise<string>;
}

/** Gateway codes (docs/identity.md) that a new certificate can cure. */
const RENEWABLE = new Set(['expired', 'revoked', 'profile-changed']);

interface Target {
  readonly url: string;
  readonly method: string;
  /** Whether the request can be sent again: its body is held in memory, not a stream. */
  readonly replayable: boolean;
}

/** Builds the authenticated fetch of an identity. */
export function authenticatedFetch(credentials: FetchCredentials): typeof fetch {
  // RFC 9449 §8.2: the last nonce each server gave, sent in the next proof to it.
  const nonces = new Map<string, string>();

  async function attempt(
    input: string | URL | Request,
    init: RequestInit | undefined,
    target: Target,
    certificate: string,
    nonce: string | undefined,
  ): Promise<Response> {
    const proof = await credentials.proof(target.method, target.url, {
      certificate,
      ...(nonce === undefined ? {} : { nonce }),
    });
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    headers.set('authorization', `AgentCert ${certificate}`);
    headers.set('dpop', proof);
    const response = await credentials.fetch(input, { ...init, headers });
    const fresh = dpopNonce(response);
    if (fresh !== undefined) nonces.set(origin(target.url), fresh);
    return response;
  }

  return async function fetchWithAgentIdentity(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const target = describe(input, init);
    let certificate = await credentials.certificate();
    let response = await attempt(input, init, target, certificate, nonces.get(origin(target.url)));
    if (!target.replayable || response.status !== 401) return response;

    const challenged = nonceChallenge(response);
    if (challenged !== undefined) {
      await discard(response);
      response = await attempt(input, init, target, certificate, challenged);
      if (response.status !== 401) return response;
    }
    const code = await errorCode(response);
    if (code === undefined || !RENEWABLE.has(code)) return response;
    await discard(response);
    certificate = await credentials.replaceCertificate(certificate);
    return attempt(input, init, target, certificate, nonces.get(origin(target.url)));
  } as typeof fetch;
}

/** The method, URL and replayability of a fetch call, as fetch itself would resolve them. */
function describe(input: string | URL | Request, init: RequestInit | undefined): Target {
  const request = input instanceof Request ? input : undefined;
  const url = request?.url ?? (input instanceof URL ? input.href : String(input));
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  // Fetch standard, Request constructor: a non-null init.body replaces the request's body.
  const body = init?.body ?? request?.body ?? undefined;
  return { url, method, replayable: isReplayable(body) };
}

/** Bodies that fetch can send twice: none, a string, or bytes in memory. */
function isReplayable(body: unknown): boolean {
  return (
    body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array
  );
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
