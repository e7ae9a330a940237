// Identity routes: the issuer's JWKS and discovery document, server nonces, certificate issuance
// to agents that prove possession of their registered key, and `whoami` for authenticated agents.
import { VerifyError } from '@zt4ai/verify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { type IdentityService, parseModelBinding, parsePromptConfig } from '../identity/index.js';
import { agentCredentials } from './agent-credentials.js';
import { errorBody } from './http-errors.js';

const issuanceBody = z.strictObject({
  agent: z.string().min(1).max(200),
  model: z.unknown(),
  prompt: z.unknown(),
  ttlSeconds: z.number().int().positive().optional(),
});

export function registerIdentityRoutes(
  app: FastifyInstance,
  identity: IdentityService,
  issuer: string,
): void {
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', 'max-age=60').send(await identity.keys.jwks()),
  );
  app.get('/.well-known/zt4ai-configuration', async () => identity.discovery());
  app.post('/api/identity/nonce', async (_request, reply) => {
    const nonce = identity.nonces.issue();
    return reply.header('dpop-nonce', nonce).header('cache-control', 'no-store').send({ nonce });
  });
  app.post('/api/identity/certificates', async (request, reply) => {
    const parsed = issuanceBody.safeParse(request.body);
    if (!parsed.success)
      throw new ZtError('invalid-argument', 'body must be {agent, model, prompt, ttlSeconds?}');
    try {
      const certificate = await identity.issueToAgent({
        proof: singleHeader(request, 'dpop'),
        url: `${issuer}/api/identity/certificates`,
        rawBody: request.rawBody ?? '',
        body: {
          agent: parsed.data.agent,
          model: parseModelBinding(parsed.data.model),
          prompt: parsePromptConfig(parsed.data.prompt),
          ...(parsed.data.ttlSeconds === undefined ? {} : { ttlSeconds: parsed.data.ttlSeconds }),
        },
      });
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .header('dpop-nonce', identity.nonces.issue())
        .send({
          certificate: certificate.token,
          jti: certificate.jti,
          expiresAt: certificate.expiresAt,
        });
    } catch (error) {
      if (error instanceof VerifyError) return unauthorized(reply, error, identity);
      throw error;
    }
  });
  app.get('/api/identity/whoami', async (request, reply) => {
    try {
      const verified = await identity.authenticator.authenticate(agentCredentials(request, issuer));
      return {
        agent: verified.claims.agent,
        sub: verified.claims.sub,
        jti: verified.claims.jti,
        exp: verified.claims.exp,
      };
    } catch (error) {
      if (error instanceof VerifyError) return unauthorized(reply, error, identity);
      throw error;
    }
  });
}

/** RFC 9449 §7.1 / §8: 401 with a DPoP challenge; a fresh nonce when the nonce was the problem. */
export function unauthorized(
  reply: FastifyReply,
  error: VerifyError,
  identity: IdentityService,
): FastifyReply {
  const nonceProblem = error.code === 'proof-nonce-invalid';
  const challenge = nonceProblem
    ? 'DPoP error="use_dpop_nonce", algs="EdDSA"'
    : 'DPoP error="invalid_dpop_proof", algs="EdDSA"';
  if (nonceProblem) reply.header('dpop-nonce', identity.nonces.issue());
  return reply
    .status(401)
    .header('www-authenticate', challenge)
    .send(errorBody(error.code, error.message));
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
