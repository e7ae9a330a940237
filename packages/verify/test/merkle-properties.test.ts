// Property tests: CompactRange, inclusion and consistency against the RFC 6962 §2.1 reference in reference-tree.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  EMPTY_ROOT,
  VerifyError,
  leafHash,
  nodeHash,
  peakCoordinates,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import {
  mthOfLeaves,
  mthOfUniform,
  refConsistencyProof,
  refInclusionProof,
  refLeafHash,
  refNodeHash,
} from './reference-tree.js';

const MAX_LEAVES = 200;
const leaves = Array.from({ length: MAX_LEAVES + 1 }, (_, i) =>
  refLeafHash(new TextEncoder().encode(`entry ${i}`)),
);
const mth = mthOfLeaves(leaves);

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

function expectVerifyError(run: () => void): void {
  expect(run).toThrow(VerifyError);
}

describe('merkle hashes', () => {
  it('match the reference leaf and node hashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (entry) => {
        expect(leafHash(entry)).toEqual(refLeafHash(entry));
        const a = refLeafHash(entry);
        const b = refLeafHash(Uint8Array.of(...entry, 1));
        expect(nodeHash(a, b)).toEqual(refNodeHash(a, b));
      }),
    );
  });

  it('EMPTY_ROOT is SHA-256 of the empty string', () => {
    expect(Buffer.from(EMPTY_ROOT).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('CompactRange', () => {
  it('root equals the reference MTH for every size 0..200, and reports every completed node', () => {
    const range = CompactRange.empty();
    const nodes = new Map<string, Uint8Array>();
    for (let size = 0; size <= MAX_LEAVES; size++) {
      expect(range.size).toBe(size);
      expect(range.root()).toEqual(mth(0, size));
      const coords = peakCoordinates(size);
      const peaks = range.peaks();
      expect(peaks).toHaveLength(coords.length);
      coords.forEach(({ level, index }, i) => {
        const width = 2 ** level;
        expect(peaks[i]).toEqual(mth(index * width, (index + 1) * width));
      });
      expect(CompactRange.fromPeaks(size, peaks).root()).toEqual(range.root());
      range.append(leaves[size]!, (level, index, hash) => {
        const key = `${level}/${index}`;
        expect(nodes.has(key)).toBe(false);
        nodes.set(key, hash);
        const width = 2 ** level;
        expect(hash).toEqual(mth(index * width, (index + 1) * width));
      });
    }
    // Every perfect subtree within [0, 201) was reported exactly once.
    let expected = 0;
    for (let width = 1; width <= MAX_LEAVES + 1; width *= 2) {
      expected += Math.floor((MAX_LEAVES + 1) / width);
    }
    expect(nodes.size).toBe(expected);
  });

  it('peaks() and root() return copies', () => {
    const range = CompactRange.empty();
    range.append(leaves[0]!);
    range.peaks()[0]!.fill(0);
    range.root().fill(0);
    expect(range.root()).toEqual(leaves[0]);
    expect(CompactRange.empty().root()).toEqual(EMPTY_ROOT);
  });

  it('a range rebuilt from peaks keeps appending like the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 50 }), (a, b) => {
        const range = CompactRange.empty();
        for (let i = 0; i < a; i++) range.append(leaves[i]!);
        const rebuilt = CompactRange.fromPeaks(a, range.peaks());
        for (let i = a; i < a + b; i++) rebuilt.append(leaves[i]!);
        expect(rebuilt.size).toBe(a + b);
        expect(rebuilt.root()).toEqual(mth(0, a + b));
      }),
    );
  });

  it('peakCoordinates handles sizes beyond 32 bits', () => {
    const size = 2 ** 52 + 2 ** 33 + 5;
    expect(peakCoordinates(size)).toEqual([
      { level: 52, index: 0 },
      { level: 33, index: 2 ** 19 },
      { level: 2, index: (2 ** 52 + 2 ** 33) / 4 },
      { level: 0, index: 2 ** 52 + 2 ** 33 + 4 },
    ]);
    expect(peakCoordinates(0)).toEqual([]);
  });
});

const treeAndIndex = fc
  .integer({ min: 1, max: MAX_LEAVES })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));

describe('inclusion proofs', () => {
  it('reference proofs verify and lead to the reference root', () => {
    fc.assert(
      fc.property(treeAndIndex, ([size, index]) => {
        const proof = refInclusionProof(mth, index, 0, size);
        expect(rootFromInclusionProof(index, size, leaves[index]!, proof)).toEqual(mth(0, size));
        verifyInclusion(index, size, leaves[index]!, proof, mth(0, size));
      }),
      { numRuns: 500 },
    );
  });

  it('every proof of every leaf verifies for sizes 1..64', () => {
    for (let size = 1; size <= 64; size++) {
      for (let index = 0; index < size; index++) {
        verifyInclusion(
          index,
          size,
          leaves[index]!,
          refInclusionProof(mth, index, 0, size),
          mth(0, size),
        );
      }
    }
  });

  it('any single-bit flip in a proof hash, the leaf hash or the root fails', () => {
    fc.assert(
      fc.property(
        treeAndIndex,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([size, index], pick, bit) => {
          const proof = refInclusionProof(mth, index, 0, size);
          const root = mth(0, size);
          const leaf = leaves[index]!;
          expectVerifyError(() => verifyInclusion(index, size, flipBit(leaf, bit), proof, root));
          expectVerifyError(() => verifyInclusion(index, size, leaf, proof, flipBit(root, bit)));
          if (proof.length > 0) {
            const at = pick % proof.length;
            const bad = proof.map((h, i) => (i === at ? flipBit(h, bit) : h));
            expectVerifyError(() => verifyInclusion(index, size, leaf, bad, root));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a proof used for another index, or with a hash added or removed, fails', () => {
    fc.assert(
      fc.property(treeAndIndex, ([size, index]) => {
        const proof = refInclusionProof(mth, index, 0, size);
        const root = mth(0, size);
        const leaf = leaves[index]!;
        expectVerifyError(() => verifyInclusion(index, size, leaf, [...proof, root], root));
        if (proof.length > 0) {
          expectVerifyError(() => verifyInclusion(index, size, leaf, proof.slice(1), root));
        }
        if (size > 1) {
          expectVerifyError(() => verifyInclusion((index + 1) % size, size, leaf, proof, root));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('works for tree sizes beyond 32 bits', () => {
    const leaf = leaves[0]!;
    const uniform = mthOfUniform(leaf);
    for (const [size, index] of [
      [2 ** 53 - 1, 2 ** 53 - 2],
      [2 ** 40 + 12_345, 2 ** 33 + 7],
      [2 ** 32 + 1, 2 ** 32],
      [2 ** 32, 2 ** 31],
    ] as const) {
      const proof = refInclusionProof(uniform, index, 0, size);
      verifyInclusion(index, size, leaf, proof, uniform(0, size));
      const flipped = proof.map((h, i) => (i === proof.length - 1 ? flipBit(h, 0) : h));
      expectVerifyError(() => verifyInclusion(index, size, leaf, flipped, uniform(0, size)));
    }
  });
});

const sizePair = fc
  .integer({ min: 1, max: MAX_LEAVES })
  .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2)));

describe('consistency proofs', () => {
  it('reference proofs verify', () => {
    fc.assert(
      fc.property(sizePair, ([size1, size2]) => {
        verifyConsistency(
          size1,
          size2,
          refConsistencyProof(mth, size1, size2),
          mth(0, size1),
          mth(0, size2),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('every pair of sizes up to 40 verifies', () => {
    for (let size2 = 1; size2 <= 40; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        verifyConsistency(
          size1,
          size2,
          refConsistencyProof(mth, size1, size2),
          mth(0, size1),
          mth(0, size2),
        );
      }
    }
  });

  it('any single-bit flip in a proof hash or either root fails', () => {
    fc.assert(
      fc.property(
        sizePair,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([size1, size2], pick, bit) => {
          const proof = refConsistencyProof(mth, size1, size2);
          const root1 = mth(0, size1);
          const root2 = mth(0, size2);
          expectVerifyError(() =>
            verifyConsistency(size1, size2, proof, flipBit(root1, bit), root2),
          );
          expectVerifyError(() =>
            verifyConsistency(size1, size2, proof, root1, flipBit(root2, bit)),
          );
          if (proof.length > 0) {
            const at = pick % proof.length;
            const bad = proof.map((h, i) => (i === at ? flipBit(h, bit) : h));
            expectVerifyError(() => verifyConsistency(size1, size2, bad, root1, root2));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a proof with a hash added or removed fails', () => {
    fc.assert(
      fc.property(sizePair, ([size1, size2]) => {
        const proof = refConsistencyProof(mth, size1, size2);
        const root1 = mth(0, size1);
        const root2 = mth(0, size2);
        expectVerifyError(() => verifyConsistency(size1, size2, [...proof, root1], root1, root2));
        if (proof.length > 0) {
          expectVerifyError(() =>
            verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('works for tree sizes beyond 32 bits', () => {
    const uniform = mthOfUniform(leaves[1]!);
    for (const [size1, size2] of [
      [2 ** 32 + 3, 2 ** 53 - 1],
      [2 ** 40, 2 ** 41 + 1],
      [3, 2 ** 50 + 17],
    ] as const) {
      const proof = refConsistencyProof(uniform, size1, size2);
      verifyConsistency(size1, size2, proof, uniform(0, size1), uniform(0, size2));
    }
  });
});
