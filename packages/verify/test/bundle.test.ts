// Offline audit bundles: a real tree, a signed checkpoint, entries with reference inclusion proofs.
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  VerifyError,
  formatCheckpoint,
  leafHash,
  toBase64,
  verifyBundle,
  type AuditBundle,
} from '../src/index.js';
import { mthOfLeaves, refInclusionProof } from './reference-tree.js';
import { seed, signNote, testKey } from './signing.js';

const log = testKey('audit.example/log', seed(1));
const SIZE = 23;
const entries = Array.from({ length: SIZE }, (_, i) =>
  JSON.stringify({ type: 'decision', agent: `agent-${i}`, note: 'héllo ✓ 𝄞' }),
);
const leaves = entries.map((e) => leafHash(new TextEncoder().encode(e)));
const mth = mthOfLeaves(leaves);
const range = CompactRange.empty();
for (const leaf of leaves) range.append(leaf);
const checkpoint = signNote(
  formatCheckpoint({ origin: log.name, size: SIZE, rootHash: range.root(), extensions: [] }),
  log,
);

function bundleOf(indexes: number[]): AuditBundle {
  return {
    format: 'zt4ai.audit-bundle/v1',
    vkey: log.vkey,
    checkpoint,
    entries: indexes.map((index) => ({
      index,
      entry: entries[index]!,
      proof: refInclusionProof(mth, index, 0, SIZE).map(toBase64),
    })),
  };
}

function errorOf(run: () => unknown): VerifyError {
  try {
    run();
  } catch (e) {
    if (e instanceof VerifyError) return e;
    throw e;
  }
  throw new Error('expected a VerifyError');
}

describe('verifyBundle', () => {
  it('verifies every entry of a bundle, also after a JSON round trip', () => {
    const all = Array.from({ length: SIZE }, (_, i) => i);
    const expected = { origin: log.name, treeSize: SIZE, rootHash: mth(0, SIZE), entries: SIZE };
    expect(verifyBundle(bundleOf(all), log.vkey)).toEqual(expected);
    expect(verifyBundle(JSON.parse(JSON.stringify(bundleOf(all))), log.vkey)).toEqual(expected);
    expect(verifyBundle(bundleOf([]), log.vkey).entries).toBe(0);
  });

  it('names the first entry that is not included', () => {
    const bundle = bundleOf([0, 5, 9, 12]);
    bundle.entries[2]!.entry = entries[10]!;
    bundle.entries[3]!.entry = entries[11]!;
    const e = errorOf(() => verifyBundle(bundle, log.vkey));
    expect(e.code).toBe('entry-not-included');
    expect(e.index).toBe(9);
    expect((e.cause as VerifyError).code).toBe('root-mismatch');
  });

  it('rejects an entry beyond the checkpoint, or with a proof for another index', () => {
    const beyond = bundleOf([1]);
    beyond.entries[0]!.index = SIZE;
    const e = errorOf(() => verifyBundle(beyond, log.vkey));
    expect([e.code, e.index, (e.cause as VerifyError).code]).toEqual([
      'entry-not-included',
      SIZE,
      'index-out-of-range',
    ]);
    const moved = bundleOf([1]);
    moved.entries[0]!.index = 2;
    expect(errorOf(() => verifyBundle(moved, log.vkey)).code).toBe('entry-not-included');
  });

  it('rejects a bundle naming another key, even one that signed its checkpoint', () => {
    const other = testKey('audit.example/log', seed(9));
    const bundle = {
      ...bundleOf([0]),
      vkey: other.vkey,
      checkpoint: signNote(checkpoint.split('\n\n')[0] + '\n', other),
    };
    expect(errorOf(() => verifyBundle(bundle, log.vkey)).code).toBe('untrusted-bundle-key');
    // Trust comes only from the caller's key: under `other` the same bundle is fine.
    expect(verifyBundle(bundle, other.vkey).entries).toBe(1);
  });

  it('rejects a checkpoint not signed by the trusted key', () => {
    const other = testKey('audit.example/log', seed(9));
    const bundle = {
      ...bundleOf([0]),
      checkpoint: signNote(checkpoint.split('\n\n')[0] + '\n', other),
    };
    expect(errorOf(() => verifyBundle(bundle, log.vkey)).code).toBe('no-trusted-signature');
  });

  const shapeCases: Array<[string, (b: Record<string, unknown>) => unknown]> = [
    ['null', () => null],
    ['an array', () => []],
    ['a class instance', (b) => Object.assign(new (class X {})(), b)],
    ['an unknown key', (b) => ({ ...b, extra: 1 })],
    ['a missing key', ({ entries: _, ...rest }) => rest],
    ['another format', (b) => ({ ...b, format: 'zt4ai.audit-bundle/v2' })],
    ['a non-string vkey', (b) => ({ ...b, vkey: 1 })],
    ['a non-string checkpoint', (b) => ({ ...b, checkpoint: null })],
    ['entries not an array', (b) => ({ ...b, entries: {} })],
    ['an entry not an object', (b) => ({ ...b, entries: ['x'] })],
  ];
  it.each(shapeCases)('rejects %s as malformed', (_, mutate) => {
    const e = errorOf(() => verifyBundle(mutate({ ...bundleOf([0]) }), log.vkey));
    expect(e.code).toBe('malformed-bundle');
    expect(e.index).toBeUndefined();
  });

  const entryCases: Array<[string, (e: Record<string, unknown>) => unknown, number | undefined]> = [
    ['an entry with an unknown key', (e) => ({ ...e, x: 1 }), undefined],
    ['a negative index', (e) => ({ ...e, index: -1 }), undefined],
    ['a fractional index', (e) => ({ ...e, index: 1.5 }), undefined],
    ['a string index', (e) => ({ ...e, index: '3' }), undefined],
    ['an unsafe index', (e) => ({ ...e, index: 2 ** 64 }), undefined],
    ['a non-string entry', (e) => ({ ...e, entry: {} }), 3],
    ['an entry with a lone surrogate', (e) => ({ ...e, entry: '\ud800' }), 3],
    ['an entry over 1 MiB', (e) => ({ ...e, entry: 'é'.repeat(600_000) }), 3],
    ['a proof not an array', (e) => ({ ...e, proof: 'AA==' }), 3],
    [
      'a proof of 65 hashes',
      (e) => ({ ...e, proof: Array(65).fill(toBase64(new Uint8Array(32))) }),
      3,
    ],
    ['a non-string proof hash', (e) => ({ ...e, proof: [1] }), 3],
    ['a proof hash not base64', (e) => ({ ...e, proof: ['AA=A'] }), 3],
  ];
  it.each(entryCases)('rejects %s as malformed', (_, mutate, index) => {
    const bundle = bundleOf([1, 3]);
    const mutated = { ...bundle, entries: [bundle.entries[0], mutate({ ...bundle.entries[1] })] };
    const e = errorOf(() => verifyBundle(mutated, log.vkey));
    expect(e.code).toBe('malformed-bundle');
    expect(e.index).toBe(index);
  });

  it('rejects a proof hash that is not 32 bytes as not included', () => {
    const bundle = bundleOf([3]);
    bundle.entries[0]!.proof[0] = toBase64(new Uint8Array(31));
    const e = errorOf(() => verifyBundle(bundle, log.vkey));
    expect([e.code, e.index, (e.cause as VerifyError).code]).toEqual([
      'entry-not-included',
      3,
      'invalid-hash-size',
    ]);
  });

  it('rejects a repeated entry index', () => {
    const e = errorOf(() => verifyBundle(bundleOf([4, 2, 4]), log.vkey));
    expect([e.code, e.index]).toEqual(['malformed-bundle', 4]);
  });

  it('rejects more than 100,000 entries before checking any', () => {
    const bundle = { ...bundleOf([]), entries: Array(100_001).fill(null) };
    expect(errorOf(() => verifyBundle(bundle, log.vkey)).code).toBe('bundle-too-large');
  });

  it('throws TypeError when the trusted key is not a string', () => {
    expect(() => verifyBundle(bundleOf([0]), undefined as unknown as string)).toThrow(TypeError);
  });
});
