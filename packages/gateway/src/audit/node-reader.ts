// Reads stored tree nodes and folds them into the roots of arbitrary leaf ranges.
import { nodeHash } from '@zt4ai/verify';
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type { Database } from '../store/index.js';
import { type LeafRange, type NodeCoordinate, perfectSubtrees } from './proof-plan.js';

/** Node look-ups per query; keeps the statement well under every driver's parameter limit. */
const LOOKUP_CHUNK = 400;

const key = (level: number, index: number): string => `${level}:${index}`;

/** Fetches the given nodes, in the given order; a node the store lacks means it is damaged. */
export async function readNodes(
  db: Kysely<Database>,
  coordinates: readonly NodeCoordinate[],
): Promise<Uint8Array[]> {
  const found = new Map<string, Uint8Array>();
  for (let start = 0; start < coordinates.length; start += LOOKUP_CHUNK) {
    const chunk = coordinates.slice(start, start + LOOKUP_CHUNK);
    const rows = await db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) =>
        eb.or(chunk.map((c) => eb.and([eb('level', '=', c.level), eb('idx', '=', c.index)]))),
      )
      .execute();
    for (const row of rows) found.set(key(row.level, row.idx), row.hash);
  }
  return coordinates.map((c) => {
    const hash = found.get(key(c.level, c.index));
    if (hash !== undefined) return hash;
    throw new ZtError('log-inconsistent', 'the audit log store is missing a tree node', {
      detail: { index: c.index * 2 ** c.level },
    });
  });
}

/** Root hashes of each range, computed from stored perfect-subtree nodes with one round trip. */
export async function rangeRoots(
  db: Kysely<Database>,
  ranges: readonly LeafRange[],
): Promise<Uint8Array[]> {
  const parts = ranges.map(perfectSubtrees);
  const nodes = await readNodes(db, parts.flat());
  let offset = 0;
  return parts.map((subtrees) => {
    const hashes = nodes.slice(offset, (offset += subtrees.length));
    let root = hashes[hashes.length - 1] as Uint8Array;
    for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
    return root;
  });
}
