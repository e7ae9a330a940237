// Folds stored tree nodes into the roots of arbitrary leaf ranges.
import { nodeHash } from '@zt4ai/verify';
import type { Kysely } from 'kysely';
import { type Database, readAuditNodes } from '../store/index.js';
import { type LeafRange, perfectSubtrees } from './proof-plan.js';

/** Root hashes of each range, computed from stored perfect-subtree nodes with one round trip. */
export async function rangeRoots(
  db: Kysely<Database>,
  ranges: readonly LeafRange[],
): Promise<Uint8Array[]> {
  const parts = ranges.map(perfectSubtrees);
  const nodes = await readAuditNodes(db, parts.flat());
  let offset = 0;
  return parts.map((subtrees) => {
    const hashes = nodes.slice(offset, (offset += subtrees.length));
    let root = hashes[hashes.length - 1] as Uint8Array;
    for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
    return root;
  });
}
