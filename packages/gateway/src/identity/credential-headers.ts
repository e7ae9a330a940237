// Reads an agent's credentials from request headers: `Authorization: AgentCert <certificate>` and
// `DPoP: <proof>`, with the URL the proof must name — built by the caller from the configured public
// base URL, never from the Host header, which the client controls. Every enforcement point reads
// them this way.
import type { AgentCredentials } from './agent-authenticator.js';

const SCHEME = /^AgentCert\s+(\S+)$/;

/** The credentials in a request's headers; `url` is the public URL the proof must name. */
export function credentialsFrom(
  headers: { readonly authorization?: unknown; readonly dpop?: unknown },
  method: string,
  url: string,
): AgentCredentials {
  const { authorization, dpop } = headers;
  return {
    certificate: typeof authorization === 'string' ? SCHEME.exec(authorization)?.[1] : undefined,
    proof: typeof dpop === 'string' ? dpop : undefined,
    method,
    url,
  };
}
