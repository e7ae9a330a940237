// Audit routes (auditor or admin): checkpoint, verifier key, entries, inclusion and consistency
// proofs, search, and one entry with everything needed to verify it offline.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuditLog, consistencyProofJson, inclusionProofJson } from '../audit/index.js';
import { ZtError } from '../errors.js';
import { searchAudit } from './audit-search.js';
import { integerParam, requiredIntegerParam } from './query-params.js';
import { operatorOnly } from './route-access.js';

const DEFAULT_PAGE = 100;
const searchQuery = z.strictObject({
  type: z.string().max(200).optional(),
  agent: z.string().max(200).optional(),
  text: z.string().max(200).optional(),
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  const read = operatorOnly('audit:read');
  app.get('/api/audit/checkpoint', read, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(await audit.checkpoint()),
  );
  app.get('/api/audit/vkey', read, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(`${audit.vkey}\n`),
  );
  app.get('/api/audit/entries', read, async (request) => {
    const from = integerParam(request.query, 'from') ?? 0;
    const limit = integerParam(request.query, 'limit') ?? DEFAULT_PAGE;
    return { entries: await audit.entries(from, limit) };
  });
  app.get('/api/audit/entries/:index', read, async (request) => {
    const index = requiredIntegerParam(request.params, 'index');
    // The proof is for the tree the checkpoint signs, so the browser can check both together.
    const checkpoint = await audit.checkpoint();
    const size = checkpointSize(checkpoint);
    const [entry] = index < size ? await audit.entries(index, 1) : [];
    if (entry === undefined) throw new ZtError('index-out-of-range', `index must be below ${size}`);
    return {
      index,
      entry: entry.entry,
      proof: inclusionProofJson(await audit.inclusionProof(index, size)),
      checkpoint,
      vkey: audit.vkey,
    };
  });
  app.get('/api/audit/search', read, async (request) => {
    const query = searchQuery.safeParse(request.query);
    if (!query.success)
      throw new ZtError(
        'invalid-argument',
        'query must be type?, agent?, text?, before?, limit 1..200',
      );
    return searchAudit(audit, query.data);
  });
  app.get('/api/audit/proof', read, async (request) => {
    const index = requiredIntegerParam(request.query, 'index');
    return inclusionProofJson(
      await audit.inclusionProof(index, integerParam(request.query, 'size')),
    );
  });
  app.get('/api/audit/consistency', read, async (request) => {
    const from = requiredIntegerParam(request.query, 'from');
    return consistencyProofJson(
      await audit.consistencyProof(from, integerParam(request.query, 'to')),
    );
  });
}

/** The tree size a checkpoint signs: its second line (C2SP tlog-checkpoint). */
function checkpointSize(checkpoint: string): number {
  return Number(checkpoint.split('\n')[1]);
}
