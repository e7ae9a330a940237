// Incidents opened by containment, their release, and the kill switches: what the containment
// component decided, shown to operators and driven by them. The component checks the operator's
// role again (defence in depth); these routes check it first.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { operatorOnly } from './route-access.js';
import { principalOf } from './session-routes.js';

export type KillSwitchTarget =
  | { readonly scope: 'all' }
  | { readonly scope: 'team'; readonly team: string }
  | { readonly scope: 'mission'; readonly mission: string };

/** What these routes need of the containment component. */
export interface ContainmentControls {
  readonly incidents: {
    list(filter?: { status?: 'open' | 'released'; agent?: string }): Promise<readonly unknown[]>;
    get(id: string): Promise<unknown>;
  };
  release(id: string, operator: string, reason: string): Promise<unknown>;
  readonly killSwitch: {
    engage(target: KillSwitchTarget, operator: string, reason: string): Promise<unknown>;
    release(id: string, operator: string, reason: string): Promise<unknown>;
    list(includeReleased?: boolean): Promise<readonly unknown[]>;
  };
}

const reason = z.string().trim().min(1).max(2000);
const reasonBody = z.strictObject({ reason });
const engageBody = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('all'), reason }),
  z.strictObject({ scope: z.literal('team'), team: z.string().min(1).max(200), reason }),
  z.strictObject({ scope: z.literal('mission'), mission: z.string().min(1).max(200), reason }),
]);
const listQuery = z.strictObject({
  status: z.enum(['open', 'released']).optional(),
  agent: z.string().min(1).max(200).optional(),
});

export function registerIncidentRoutes(
  app: FastifyInstance,
  containment: ContainmentControls,
): void {
  app.get('/api/incidents', operatorOnly('fleet:read'), async (request) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success)
      throw new ZtError('invalid-argument', 'query must be status=open|released, agent?');
    const filter = {
      ...(query.data.status === undefined ? {} : { status: query.data.status }),
      ...(query.data.agent === undefined ? {} : { agent: query.data.agent }),
    };
    return { incidents: await containment.incidents.list(filter) };
  });
  app.get('/api/incidents/:id', operatorOnly('fleet:read'), async (request) =>
    containment.incidents.get((request.params as { id: string }).id),
  );
  app.post('/api/incidents/:id/release', operatorOnly('approvals:decide'), async (request) => {
    const body = reasonBody.safeParse(request.body);
    if (!body.success)
      throw new ZtError('invalid-argument', 'body must be {reason} with a non-empty reason');
    const { id } = request.params as { id: string };
    return containment.release(id, principalOf(request.operator).name, body.data.reason);
  });
  app.get('/api/kill-switches', operatorOnly('fleet:read'), async () => ({
    killSwitches: await containment.killSwitch.list(true),
  }));
  app.post('/api/kill-switches', operatorOnly('containment:act'), async (request, reply) => {
    const body = engageBody.safeParse(request.body);
    if (!body.success)
      throw new ZtError(
        'invalid-argument',
        'body must be {scope: all|team|mission, team?, mission?, reason}',
      );
    const { reason: why, ...target } = body.data;
    const engaged = await containment.killSwitch.engage(
      target,
      principalOf(request.operator).name,
      why,
    );
    return reply.status(201).send(engaged);
  });
  app.post('/api/kill-switches/:id/release', operatorOnly('containment:act'), async (request) => {
    const body = reasonBody.safeParse(request.body);
    if (!body.success)
      throw new ZtError('invalid-argument', 'body must be {reason} with a non-empty reason');
    const { id } = request.params as { id: string };
    return containment.killSwitch.release(id, principalOf(request.operator).name, body.data.reason);
  });
}
