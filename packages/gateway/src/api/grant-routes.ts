// Agent-facing grant routes: an authenticated agent requests a grant for itself, reads its own
// grants, waits (long-poll) for a pending one to be decided, and ends its task. Approving and
// denying are operator actions, never available to agents.
import { VerifyError } from '@zt4ai/verify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { Grant, GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import { agentCredentials } from './agent-credentials.js';
import { unauthorized } from './identity-routes.js';
import { integerParam } from './query-params.js';

const requestBody = z.strictObject({
  task: z.string().min(1).max(1000),
  purpose: z.string().max(4000).optional(),
  allow: z
    .array(z.union([z.string(), z.record(z.string(), z.unknown())]))
    .min(1)
    .max(100),
  ttlSeconds: z.number().int().positive().optional(),
  maxUses: z.number().int().positive().optional(),
  labels: z.array(z.string().min(1).max(100)).max(50).optional(),
  budget: z.strictObject({ limit: z.number().nonnegative(), currency: z.string() }).optional(),
});
const MAX_WAIT_SECONDS = 60;
/** How often a long-poll looks whether its client or the server is still there. */
const WAIT_SLICE_MS = 1000;

export function registerGrantRoutes(
  app: FastifyInstance,
  grants: GrantService,
  identity: IdentityService,
  baseUrl: string,
): void {
  /** The authenticated agent's id, or a 401 already sent. */
  const agentOf = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<string | undefined> => {
    try {
      return (await identity.authenticator.authenticate(agentCredentials(request, baseUrl))).claims
        .agent.id;
    } catch (error) {
      if (!(error instanceof VerifyError)) throw error;
      await unauthorized(reply, error, identity);
      return undefined;
    }
  };
  const ownGrant = async (agent: string, id: string): Promise<Grant> => {
    const grant = await grants.grants.get(id);
    if (grant.agent !== agent) throw new ZtError('not-found', `no grant "${id}"`);
    return grant;
  };

  app.post('/api/grants', async (request, reply) => {
    const agent = await agentOf(request, reply);
    if (agent === undefined) return reply;
    const body = requestBody.safeParse(request.body);
    if (!body.success)
      throw new ZtError(
        'grant-invalid',
        'body must be {task, allow, purpose?, ttlSeconds?, maxUses?, labels?}',
      );
    const { task, purpose, allow, ttlSeconds, maxUses, labels, budget } = body.data;
    const grant = await grants.request(
      {
        agent,
        task,
        allow: allow as Array<string | { action: string; resource: string }>,
        ...(purpose === undefined ? {} : { purpose }),
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
        ...(maxUses === undefined ? {} : { maxUses }),
        ...(labels === undefined ? {} : { labels }),
        ...(budget === undefined ? {} : { budget }),
      },
      `agent:${agent}`,
    );
    return reply.status(201).send(grant);
  });
  app.get('/api/grants/:id', async (request, reply) => {
    const agent = await agentOf(request, reply);
    if (agent === undefined) return reply;
    return ownGrant(agent, (request.params as { id: string }).id);
  });
  // A long-poll ends early when its client goes away or the server shuts down, so it never holds
  // a graceful shutdown for its whole timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.get('/api/grants/:id/wait', async (request, reply) => {
    const agent = await agentOf(request, reply);
    if (agent === undefined) return reply;
    const { id } = request.params as { id: string };
    let grant = await ownGrant(agent, id);
    const seconds = Math.min(integerParam(request.query, 'timeoutSeconds') ?? 30, MAX_WAIT_SECONDS);
    const deadline = Date.now() + seconds * 1000;
    let gone = false;
    request.raw.once('close', () => {
      gone = true;
    });
    while (grant.status === 'pending' && !gone && !closing && Date.now() < deadline)
      grant = await grants.waitForDecision(id, Math.min(WAIT_SLICE_MS, deadline - Date.now()));
    return grant;
  });
  app.post('/api/grants/:id/end', async (request, reply) => {
    const agent = await agentOf(request, reply);
    if (agent === undefined) return reply;
    const { id } = request.params as { id: string };
    await ownGrant(agent, id);
    return grants.endTask(id, `agent:${agent}`);
  });
}
