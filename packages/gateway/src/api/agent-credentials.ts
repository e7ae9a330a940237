// Reads an agent's credentials from a request: `Authorization: AgentCert <certificate>`, `DPoP:
// <proof>`, and the URL the proof must name, built from the configured public base URL (never
// from the Host header, which the client controls).
import type { FastifyRequest } from 'fastify';
import type { AgentCredentials } from '../identity/index.js';

const SCHEME = /^AgentCert\s+(\S+)$/;

export function agentCredentials(request: FastifyRequest, baseUrl: string): AgentCredentials {
  const authorization = request.headers.authorization;
  const dpop = request.headers.dpop;
  const path = request.url.split('?')[0] ?? '/';
  return {
    certificate: typeof authorization === 'string' ? SCHEME.exec(authorization)?.[1] : undefined,
    proof: typeof dpop === 'string' ? dpop : undefined,
    method: request.method,
    url: `${baseUrl}${path}`,
  };
}
