// An agent's credentials from a Fastify request (identity/credential-headers.ts reads the headers),
// with the URL the proof must name built from the configured public base URL.
import type { FastifyRequest } from 'fastify';
import { type AgentCredentials, credentialsFrom } from '../identity/index.js';

export function agentCredentials(request: FastifyRequest, baseUrl: string): AgentCredentials {
  const path = request.url.split('?')[0] ?? '/';
  return credentialsFrom(request.headers, request.method, `${baseUrl}${path}`);
}
