// Containment an operator starts from the governance center: quarantine an agent (every call is
// refused from its next one, on every gateway) and release it. Each is an audit event naming the
// operator and the reason.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { IdentityService } from '../identity/index.js';
import { operatorOnly } from './route-access.js';
import { principalOf } from './session-routes.js';

const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

export function registerContainmentRoutes(app: FastifyInstance, identity: IdentityService): void {
  const statusRoute = (path: string, status: 'quarantined' | 'active'): void => {
    app.post(path, operatorOnly('containment:act'), async (request) => {
      const body = reasonBody.safeParse(request.body);
      if (!body.success)
        throw new ZtError('invalid-argument', 'body must be {reason} with a non-empty reason');
      const { id } = request.params as { id: string };
      const agent = await identity.setStatus(
        id,
        status,
        principalOf(request.operator).name,
        body.data.reason,
      );
      return { id: agent.id, name: agent.name, status: agent.status };
    });
  };
  statusRoute('/api/agents/:id/quarantine', 'quarantined');
  statusRoute('/api/agents/:id/release', 'active');
}
