// The public face is deliberate (CONVENTIONS 13): this list changes only when an export is meant to.
import { expect, it } from 'vitest';
import * as api from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(api).sort()).toEqual(
    [
      'CertificateVerifier',
      'CompactRange',
      'EMPTY_ROOT',
      'HASH_SIZE',
      'MemoryReplayCache',
      'VerifyError',
      'encodeVerifierKey',
      'formatCheckpoint',
      'fromBase64',
      'jwkThumbprint',
      'leafHash',
      'nodeHash',
      'normalizeHtu',
      'noteKeyId',
      'parseCheckpoint',
      'parseNote',
      'parseVerifierKey',
      'peakCoordinates',
      'rootFromInclusionProof',
      'toBase64',
      'verifyAgentCertificate',
      'verifyAgentRequest',
      'verifyBundle',
      'verifyCheckpoint',
      'verifyConsistency',
      'verifyInclusion',
      'verifyNote',
      'verifyProofOfPossession',
    ].sort(),
  );
  expect(api.HASH_SIZE).toBe(32);
});
