// Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) served from stored tree nodes.
import { toBase64 } from '@zt4ai/verify';
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type { Database } from '../store/index.js';
import { rangeRoots } from './node-reader.js';
import { consistencyRanges, inclusionRanges } from './proof-plan.js';

export interface InclusionProof {
  readonly treeSize: number;
  readonly leafIndex: number;
  readonly leafHash: Uint8Array;
  readonly hashes: Uint8Array[];
}

export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly hashes: Uint8Array[];
}

/** Proof that leaf `index` is in the tree of `size` leaves; `size` must not exceed `committed`. */
export async function inclusionProof(
  db: Kysely<Database>,
  committed: number,
  index: number,
  size: number,
): Promise<InclusionProof> {
  checkTreeSize(size, committed);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new ZtError('index-out-of-range', `index must be between 0 and ${size - 1}`);
  }
  const [leaf, ...hashes] = await rangeRoots(db, [
    { begin: index, end: index + 1 },
    ...inclusionRanges(index, size),
  ]);
  return { treeSize: size, leafIndex: index, leafHash: leaf as Uint8Array, hashes };
}

/** Proof that the tree of `from` leaves is a prefix of the tree of `to` leaves. */
export async function consistencyProof(
  db: Kysely<Database>,
  committed: number,
  from: number,
  to: number,
): Promise<ConsistencyProof> {
  checkTreeSize(to, committed);
  if (!Number.isSafeInteger(from) || from < 1 || from > to) {
    throw new ZtError('invalid-range', `"from" must be between 1 and "to" (${to})`);
  }
  const hashes = from === to ? [] : await rangeRoots(db, consistencyRanges(from, to));
  return { from, to, hashes };
}

function checkTreeSize(size: number, committed: number): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > committed) {
    throw new ZtError(
      'invalid-tree-size',
      committed === 0 ? 'the audit log is empty' : `tree size must be between 1 and ${committed}`,
    );
  }
}

/** The JSON form printed by the CLI and served by the API: hashes in standard base64. */
export function inclusionProofJson(proof: InclusionProof): {
  treeSize: number;
  leafIndex: number;
  leafHash: string;
  hashes: string[];
} {
  return {
    treeSize: proof.treeSize,
    leafIndex: proof.leafIndex,
    leafHash: toBase64(proof.leafHash),
    hashes: proof.hashes.map(toBase64),
  };
}

export function consistencyProofJson(proof: ConsistencyProof): {
  from: number;
  to: number;
  hashes: string[];
} {
  return { from: proof.from, to: proof.to, hashes: proof.hashes.map(toBase64) };
}
