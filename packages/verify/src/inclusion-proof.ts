// Inclusion proof verification, RFC 9162 §2.1.3.2 (the audit path of RFC 6962 §2.1.1).
import { VerifyError } from './errors.js';
import { assertHash, assertProof, nodeHashUnchecked } from './merkle-hash.js';
import { assertCount, equalBytes } from './checks.js';

const isOdd = (n: number): boolean => n % 2 === 1;
// Sizes reach 2^53, beyond the 32 bits of JavaScript's shift operators.
const half = (n: number): number => Math.floor(n / 2);

/**
 * Computes the root that an inclusion proof leads to for leaf `index` of a tree of `size` leaves,
 * following RFC 9162 §2.1.3.2. Throws VerifyError: `invalid-integer`, `invalid-hash-size`,
 * `proof-too-long`, `index-out-of-range` (index ≥ size) or `invalid-proof-length` (the proof has
 * more or fewer hashes than the path from that leaf to the root).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertCount(index, 'index');
  assertCount(size, 'size');
  assertHash(leafHash, 'leafHash');
  assertProof(proof);
  return walkInclusion(index, size, leafHash, proof);
}

function walkInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  // Step 1.
  if (index >= size) throw new VerifyError('index-out-of-range');
  // Steps 2-3.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  // Step 4.
  for (const p of proof) {
    if (sn === 0) throw new VerifyError('invalid-proof-length');
    if (isOdd(fn) || fn === sn) {
      r = nodeHashUnchecked(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHashUnchecked(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5 (first half): the proof must reach the root level exactly.
  if (sn !== 0) throw new VerifyError('invalid-proof-length');
  return r.slice();
}

/**
 * Verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves whose root is
 * `root` (RFC 9162 §2.1.3.2). Returns normally only on success; otherwise throws VerifyError
 * with the codes of {@link rootFromInclusionProof} or `root-mismatch`.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertCount(index, 'index');
  assertCount(size, 'size');
  assertHash(leafHash, 'leafHash');
  assertProof(proof);
  assertHash(root, 'root');
  const computed = walkInclusion(index, size, leafHash, proof);
  if (!equalBytes(computed, root)) throw new VerifyError('root-mismatch');
}
