// Which subtrees an inclusion or consistency proof is made of (RFC 9162 §2.1.3.1 and §2.1.4.1).
// A proof hash is the root of a range [begin, end); each range splits into perfect subtrees that the
// store keeps as nodes (level, index), so a proof costs one indexed look-up per node.

export interface LeafRange {
  readonly begin: number;
  readonly end: number;
}

export interface NodeCoordinate {
  readonly level: number;
  readonly index: number;
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(m, D[0:size]): the ranges whose roots form the audit path of leaf m, bottom up. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  const ranges: LeafRange[] = [];
  const path = (m: number, begin: number, end: number): void => {
    const n = end - begin;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, begin, begin + k);
      ranges.push({ begin: begin + k, end });
    } else {
      path(m - k, begin + k, end);
      ranges.push({ begin, end: begin + k });
    }
  };
  path(index, 0, size);
  return ranges;
}

/** PROOF(m, D[0:size]): the ranges of the consistency proof from tree size m to `size`. */
export function consistencyRanges(m: number, size: number): LeafRange[] {
  const ranges: LeafRange[] = [];
  const subproof = (m1: number, begin: number, end: number, complete: boolean): void => {
    const n = end - begin;
    if (m1 === n) {
      if (!complete) ranges.push({ begin, end });
      return;
    }
    const k = splitPoint(n);
    if (m1 <= k) {
      subproof(m1, begin, begin + k, complete);
      ranges.push({ begin: begin + k, end });
    } else {
      subproof(m1 - k, begin + k, end, false);
      ranges.push({ begin, end: begin + k });
    }
  };
  subproof(m, 0, size, true);
  return ranges;
}

/**
 * The perfect subtrees that make up [begin, end), left to right. `begin` is always aligned to the
 * largest of them in the ranges above, so each block is the largest power of two that fits.
 */
export function perfectSubtrees(range: LeafRange): NodeCoordinate[] {
  const nodes: NodeCoordinate[] = [];
  let begin = range.begin;
  while (begin < range.end) {
    let size = 1;
    let level = 0;
    while (begin % (size * 2) === 0 && begin + size * 2 <= range.end) {
      size *= 2;
      level += 1;
    }
    nodes.push({ level, index: begin / size });
    begin += size;
  }
  return nodes;
}
