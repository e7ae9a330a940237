// Reference Merkle tree for tests, written straight from RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF).
import { sha256 } from '@noble/hashes/sha2.js';

/** The hash of one perfect or imperfect range [lo, hi) of leaves: MTH(D[lo:hi]). */
export type RangeHash = (lo: number, hi: number) => Uint8Array;

/** RFC 6962 leaf hash, independent of the package under test. */
export function refLeafHash(entry: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x00, ...entry));
}

/** RFC 6962 interior hash, independent of the package under test. */
export function refNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x01, ...left, ...right));
}

/** The largest power of two strictly smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over explicit leaf hashes, memoised on the range. */
export function mthOfLeaves(leaves: readonly Uint8Array[]): RangeHash {
  const memo = new Map<string, Uint8Array>();
  const mth: RangeHash = (lo, hi) => {
    const key = `${lo}:${hi}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const n = hi - lo;
    let h: Uint8Array;
    if (n === 0) h = sha256(new Uint8Array(0));
    else if (n === 1) h = leaves[lo] as Uint8Array;
    else {
      const k = splitPoint(n);
      h = refNodeHash(mth(lo, lo + k), mth(lo + k, hi));
    }
    memo.set(key, h);
    return h;
  };
  return mth;
}

/**
 * MTH of a tree whose leaves all equal `leaf`: depends only on the range's length, so trees of
 * up to 2^53 leaves are cheap. Used to exercise index arithmetic beyond 32 bits.
 */
export function mthOfUniform(leaf: Uint8Array): RangeHash {
  const memo = new Map<number, Uint8Array>();
  const byCount = (n: number): Uint8Array => {
    const hit = memo.get(n);
    if (hit) return hit;
    let h: Uint8Array;
    if (n === 0) h = sha256(new Uint8Array(0));
    else if (n === 1) h = leaf;
    else {
      const k = splitPoint(n);
      h = refNodeHash(byCount(k), byCount(n - k));
    }
    memo.set(n, h);
    return h;
  };
  return (lo, hi) => byCount(hi - lo);
}

/** PATH(m, D[lo:hi]) of RFC 6962 §2.1.1: the inclusion proof of leaf m of the range. */
export function refInclusionProof(mth: RangeHash, m: number, lo: number, hi: number): Uint8Array[] {
  const n = hi - lo;
  if (n <= 1) return [];
  const k = splitPoint(n);
  return m < k
    ? [...refInclusionProof(mth, m, lo, lo + k), mth(lo + k, hi)]
    : [...refInclusionProof(mth, m - k, lo + k, hi), mth(lo, lo + k)];
}

/** SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2. */
function subproof(mth: RangeHash, m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
  const n = hi - lo;
  if (m === n) return b ? [] : [mth(lo, hi)];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(mth, m, lo, lo + k, b), mth(lo + k, hi)]
    : [...subproof(mth, m - k, lo + k, hi, false), mth(lo, lo + k)];
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2: the consistency proof from size m to size n (0 < m ≤ n). */
export function refConsistencyProof(mth: RangeHash, m: number, n: number): Uint8Array[] {
  return subproof(mth, m, 0, n, true);
}
