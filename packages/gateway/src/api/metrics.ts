// Prometheus metrics, as a decorator around the HTTP server and the audit log (CONVENTIONS 10).
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditLog } from '../audit/index.js';

export function createMetrics(app: FastifyInstance, audit: AuditLog): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'zt4ai_' });
  const duration = new Histogram({
    name: 'zt4ai_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'zt4ai_http_errors_total',
    help: 'HTTP responses with status 500 or above',
    registers: [registry],
  });
  new Gauge({
    name: 'zt4ai_audit_tree_size',
    help: 'Number of entries integrated into the audit log',
    registers: [registry],
    async collect() {
      this.set(await audit.size());
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration
      .labels(request.method, route, String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc();
  });
  return registry;
}
