// The approvals queue: grants waiting for a human, and the approver's decision with a reason.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { GrantService } from '../grants/index.js';
import type { Store } from '../store/index.js';
import { grantView } from './fleet-routes.js';
import { pendingGrants } from './fleet-queries.js';
import { operatorOnly } from './route-access.js';
import { principalOf } from './session-routes.js';

const decisionBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

export function registerApprovalRoutes(
  app: FastifyInstance,
  store: Store,
  grants: GrantService,
): void {
  app.get('/api/approvals', operatorOnly('fleet:read'), async () => ({
    pending: (await pendingGrants(store.db, 500)).map(grantView),
  }));
  for (const verdict of ['approve', 'deny'] as const) {
    app.post(`/api/approvals/:id/${verdict}`, operatorOnly('approvals:decide'), async (request) => {
      const body = decisionBody.safeParse(request.body);
      if (!body.success)
        throw new ZtError('invalid-argument', 'body must be {reason} with a non-empty reason');
      const { id } = request.params as { id: string };
      const approver = principalOf(request.operator).name;
      return verdict === 'approve'
        ? grants.approve(id, approver, body.data.reason)
        : grants.deny(id, approver, body.data.reason);
    });
  }
}
