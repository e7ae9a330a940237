// Reads an agent's credentials from a request: `Authorization: AgentCert <certificate>`, `DPoP:
// <proof>`, and the URL the proof must name, built from the configured public base URL (never
// from the Host header, which the client controls).
import type { FastifyRequest } from 'fastify';
import type { AgentCredentials } from '../identity/index.js';

const SCHEME = /^AgentCert\s+(\S+)$/;

export function agentCredentials(request: FastifyRequest, baseUrl: string): AgentCredentials {
  const path = request.url.split('?')[0] ?? '/';
  return credentialsFrom(request.headers, request.method, `${baseUrl}${path}`);
}

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
