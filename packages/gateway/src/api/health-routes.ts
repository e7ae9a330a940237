// Liveness, readiness and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Store } from '../store/index.js';
import { errorBody } from './http-errors.js';

export function registerHealthRoutes(app: FastifyInstance, store: Store, metrics: Registry): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await store.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'store is not reachable');
      return reply.status(503).send(errorBody('store-unavailable', 'the store is not reachable'));
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );
}
