// Policies in force: list, view one, and test an input against them (the same guard and detectors as
// the gateways, recording nothing and taking no grant use).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { operatorOnly } from './route-access.js';

export interface PolicyView {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly annotations: Readonly<Record<string, string>>;
  readonly text: string;
}

/** The policies in force and a dry run over them; the composition root builds it. */
export interface PolicyCatalog {
  list(): Promise<readonly PolicyView[]>;
  /** Decides `input` (a `zt4ai policy eval` input line) and explains the decision. */
  test(input: unknown, assumeGranted: boolean): Promise<unknown>;
}

const testBody = z.strictObject({
  input: z.record(z.string(), z.unknown()),
  assumeGranted: z.boolean().default(true),
});

export function registerPolicyRoutes(app: FastifyInstance, catalog: PolicyCatalog): void {
  app.get('/api/policies', operatorOnly('fleet:read'), async () => ({
    policies: (await catalog.list()).map(({ id, effect, annotations }) => ({
      id,
      effect,
      annotations,
    })),
  }));
  app.get('/api/policies/:id', operatorOnly('fleet:read'), async (request) => {
    const { id } = request.params as { id: string };
    const policy = (await catalog.list()).find((p) => p.id === id);
    if (policy === undefined) throw new ZtError('not-found', `no policy "${id}"`);
    return policy;
  });
  app.post('/api/policies/test', operatorOnly('audit:read'), async (request) => {
    const body = testBody.safeParse(request.body);
    if (!body.success)
      throw new ZtError(
        'invalid-argument',
        'body must be {input: {agent, action, tool, args?}, assumeGranted?}',
      );
    return catalog.test(body.data.input, body.data.assumeGranted);
  });
}
