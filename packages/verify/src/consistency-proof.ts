// Consistency proof verification, RFC 9162 §2.1.4.2: the tree of size2 extends the tree of size1.
import { VerifyError } from './errors.js';
import { assertHash, assertProof, nodeHashUnchecked } from './merkle-hash.js';
import { assertCount, equalBytes } from './checks.js';

const isOdd = (n: number): boolean => n % 2 === 1;
// Sizes reach 2^53, beyond the 32 bits of JavaScript's shift operators.
const half = (n: number): number => Math.floor(n / 2);
function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
}

/**
 * Verifies that the tree of `size2` leaves with root `root2` is an append-only extension of the
 * tree of `size1` leaves with root `root1` (RFC 9162 §2.1.4.2). When the sizes are equal the proof
 * MUST be empty and the roots equal. A proof from the empty tree (size1 = 0) proves nothing and is
 * rejected, as in the transparency-dev reference vectors. Throws VerifyError: `invalid-integer`,
 * `invalid-hash-size`, `proof-too-long`, `invalid-tree-sizes` (size1 = 0 or size1 > size2),
 * `invalid-proof-length` or `root-mismatch`.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  assertCount(size1, 'size1');
  assertCount(size2, 'size2');
  assertProof(proof);
  assertHash(root1, 'root1');
  assertHash(root2, 'root2');
  if (size1 === 0 || size1 > size2) throw new VerifyError('invalid-tree-sizes');
  if (size1 === size2) {
    if (proof.length !== 0) throw new VerifyError('invalid-proof-length');
    if (!equalBytes(root1, root2)) throw new VerifyError('root-mismatch');
    return;
  }
  // Step 1.
  if (proof.length === 0) throw new VerifyError('invalid-proof-length');
  // Step 2: a power-of-two first tree is itself a node of the second; its root starts the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  // Step 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Step 4.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new VerifyError('invalid-proof-length');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHashUnchecked(c, fr);
      sr = nodeHashUnchecked(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHashUnchecked(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new VerifyError('invalid-proof-length');
  if (!equalBytes(fr, root1) || !equalBytes(sr, root2)) throw new VerifyError('root-mismatch');
}
