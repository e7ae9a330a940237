// Liveness (anonymous), readiness and Prometheus metrics (admins).
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Store } from '../store/index.js';
import { errorBody } from './http-errors.js';
import { operatorOnly, PUBLIC } from './route-access.js';

export function registerHealthRoutes(app: FastifyInstance, store: Store, metrics: Registry): void {
  app.get('/healthz', PUBLIC, async () => ({ status: 'ok' }));
  app.get('/readyz', operatorOnly('operators:manage'), async (request, reply) => {
    try {
      await store.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'store is not reachable');
      return reply.status(503).send(errorBody('store-unavailable', 'the store is not reachable'));
    }
  });
  app.get('/metrics', operatorOnly('operators:manage'), async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );
}
