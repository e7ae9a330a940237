// Read-only audit routes: checkpoint, verifier key, entries, inclusion and consistency proofs.
import type { FastifyInstance } from 'fastify';
import { type AuditLog, consistencyProofJson, inclusionProofJson } from '../audit/index.js';
import { integerParam, requiredIntegerParam } from './query-params.js';

const DEFAULT_PAGE = 100;

export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get('/api/audit/checkpoint', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(await audit.checkpoint()),
  );
  app.get('/api/audit/vkey', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(`${audit.vkey}\n`),
  );
  app.get('/api/audit/entries', async (request) => {
    const from = integerParam(request.query, 'from') ?? 0;
    const limit = integerParam(request.query, 'limit') ?? DEFAULT_PAGE;
    return { entries: await audit.entries(from, limit) };
  });
  app.get('/api/audit/proof', async (request) => {
    const index = requiredIntegerParam(request.query, 'index');
    return inclusionProofJson(
      await audit.inclusionProof(index, integerParam(request.query, 'size')),
    );
  });
  app.get('/api/audit/consistency', async (request) => {
    const from = requiredIntegerParam(request.query, 'from');
    return consistencyProofJson(
      await audit.consistencyProof(from, integerParam(request.query, 'to')),
    );
  });
}
