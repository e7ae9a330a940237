// The public face is deliberate (CONVENTIONS 13): this list changes only when an export is meant to.
import { expect, it } from 'vitest';
import * as api from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(api).sort()).toEqual(
    [
      'CompactRange',
      'EMPTY_ROOT',
      'HASH_SIZE',
      'VerifyError',
      'encodeVerifierKey',
      'formatCheckpoint',
      'fromBase64',
      'leafHash',
      'nodeHash',
      'noteKeyId',
      'parseCheckpoint',
      'parseNote',
      'parseVerifierKey',
      'peakCoordinates',
      'rootFromInclusionProof',
      'toBase64',
      'verifyBundle',
      'verifyCheckpoint',
      'verifyConsistency',
      'verifyInclusion',
      'verifyNote',
    ].sort(),
  );
  expect(api.HASH_SIZE).toBe(32);
});
