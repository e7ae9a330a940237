// Compact range over a tree prefix [0, size) (RFC 6962 §2.1): the roots of the perfect subtrees that decompose it.
import { VerifyError } from './errors.js';
import { assertHash, emptyRoot, nodeHashUnchecked } from './merkle-hash.js';
import { assertCount } from './checks.js';

/**
 * The perfect subtrees that decompose `[0, size)`, left to right (largest first): one per set bit
 * of `size`. A subtree at `level` L and `index` i covers leaves `[i·2^L, (i+1)·2^L)`.
 */
export function peakCoordinates(size: number): Array<{ level: number; index: number }> {
  assertCount(size, 'size');
  const levels: number[] = [];
  // Arithmetic, not bit operators: sizes go up to 2^53, bit operators stop at 2^32.
  for (let rest = size, level = 0; rest > 0; rest = Math.floor(rest / 2), level++) {
    if (rest % 2 === 1) levels.push(level);
  }
  const out: Array<{ level: number; index: number }> = [];
  let start = 0;
  for (const level of levels.reverse()) {
    const width = 2 ** level;
    out.push({ level, index: start / width });
    start += width;
  }
  return out;
}

/**
 * Incremental Merkle tree builder over the prefix `[0, size)`. Holds one hash per set bit of
 * `size`; {@link CompactRange.root} is the RFC 6962 tree head of the prefix.
 */
export class CompactRange {
  #size: number;
  readonly #peaks: Uint8Array[];

  private constructor(size: number, peaks: Uint8Array[]) {
    this.#size = size;
    this.#peaks = peaks;
  }

  /** The range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * Rebuilds a range from the roots of the perfect subtrees that decompose `[0, size)`, left to
   * right (largest first), as returned by {@link CompactRange.peaks}. Throws VerifyError
   * `invalid-peak-count` when their number does not match `size`, `invalid-hash-size` when one is
   * not 32 bytes.
   */
  static fromPeaks(size: number, peaks: readonly Uint8Array[]): CompactRange {
    assertCount(size, 'size');
    if (!Array.isArray(peaks)) throw new TypeError('peaks must be an array');
    if (peaks.length !== peakCoordinates(size).length) throw new VerifyError('invalid-peak-count');
    for (const p of peaks) assertHash(p, 'peak');
    return new CompactRange(
      size,
      peaks.map((p) => p.slice()),
    );
  }

  /** Number of leaves in the range. */
  get size(): number {
    return this.#size;
  }

  /** Copies of the peak hashes, left to right (largest subtree first). */
  peaks(): Uint8Array[] {
    return this.#peaks.map((p) => p.slice());
  }

  /**
   * Appends one leaf hash. Calls `onNode(level, index, hash)` for the leaf itself (level 0,
   * index = old size) and then for every perfect-subtree node the append completes, bottom up.
   */
  append(
    leafHash: Uint8Array,
    onNode?: (level: number, index: number, hash: Uint8Array) => void,
  ): void {
    assertHash(leafHash, 'leafHash');
    if (onNode !== undefined && typeof onNode !== 'function') {
      throw new TypeError('onNode must be a function');
    }
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('tree is full');
    let hash: Uint8Array = leafHash.slice();
    let index = this.#size;
    let level = 0;
    onNode?.(level, index, hash.slice());
    // Each trailing one bit of the old size is a left sibling of equal height: merge with it.
    for (let rest = this.#size; rest % 2 === 1; rest = Math.floor(rest / 2)) {
      const left = this.#peaks.pop();
      if (left === undefined) throw new Error('unreachable: peak missing');
      hash = nodeHashUnchecked(left, hash);
      level++;
      index = Math.floor(index / 2);
      onNode?.(level, index, hash.slice());
    }
    this.#peaks.push(hash);
    this.#size++;
  }

  /** The RFC 6962 root of `[0, size)`: the empty-tree root (`EMPTY_ROOT`) when empty. */
  root(): Uint8Array {
    let root: Uint8Array | undefined;
    // MTH splits at the largest power of two below n, so fold the peaks right to left.
    for (let i = this.#peaks.length - 1; i >= 0; i--) {
      const peak = this.#peaks[i] as Uint8Array;
      root = root === undefined ? peak.slice() : nodeHashUnchecked(peak, root);
    }
    return root ?? emptyRoot();
  }
}
