// One explicit trigger per VerifyErrorCode (CONVENTIONS 12); the Record type makes tsc enforce that none is missing.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CompactRange,
  EMPTY_ROOT,
  VerifyError,
  formatCheckpoint,
  fromBase64,
  leafHash,
  nodeHash,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  rootFromInclusionProof,
  toBase64,
  verifyBundle,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyNote,
  MemoryReplayCache,
  verifyAgentCertificate,
  verifyAgentRequest,
  verifyProofOfPossession,
  type VerifyErrorCode,
} from '../src/index.js';
import { seed, signNote, testKey } from './signing.js';
import {
  NOW,
  URL_,
  makeProof,
  scenario,
  signCertificate,
  signRawHeader,
} from './certificate-support.js';

const h = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const log = testKey('errors.example/log', seed(1));
const stranger = testKey('stranger.example', seed(2));
const leaf = leafHash(new TextEncoder().encode('e'));
const cpBody = formatCheckpoint({ origin: log.name, size: 1, rootHash: leaf, extensions: [] });
const bundle = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  format: 'zt4ai.audit-bundle/v1',
  vkey: log.vkey,
  checkpoint: signNote(cpBody, log),
  entries: [{ index: 0, entry: 'e', proof: [] }],
  ...over,
});

// Agentic certificates: one valid issuer/agent/certificate on a frozen clock (certificate-support.ts).
let id: Awaited<ReturnType<typeof scenario>>;
beforeAll(async () => {
  id = await scenario();
});
const certWith = async (claims: object, header: Record<string, unknown> = {}) =>
  verifyAgentCertificate(
    await signCertificate({ ...id.claims, ...claims }, id.issuer.privateKey, header),
    id.options,
  );
const proofWith = async (
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = id.agent,
) =>
  verifyProofOfPossession(await makeProof(key, id.certificate, claims, header), {
    method: 'POST',
    url: URL_,
    certificate: id.certificate,
    jkt: id.agent.jkt,
    replayCache: id.replayCache,
    now: () => NOW,
    expectedNonce: (n) => n === undefined || n === 'good',
  });
const request = async (proof: string | undefined, isRevoked = false) =>
  verifyAgentRequest(
    { certificate: id.certificate, proof, method: 'POST', url: URL_ },
    { verifier: id.verifier, replayCache: id.replayCache, isRevoked: () => isRevoked },
  );

const triggers: Record<VerifyErrorCode, () => unknown> = {
  'invalid-integer': () => verifyInclusion(2 ** 64, 1, h(1), [], h(1)),
  'invalid-hash-size': () => nodeHash(h(1), new Uint8Array(31)),
  'proof-too-long': () => rootFromInclusionProof(0, 2, h(1), Array(65).fill(h(2))),
  'index-out-of-range': () => verifyInclusion(1, 1, h(1), [], h(1)),
  'invalid-tree-sizes': () => verifyConsistency(2, 1, [h(1)], h(1), h(2)),
  'invalid-proof-length': () => verifyInclusion(0, 1, h(1), [h(2)], h(1)),
  'root-mismatch': () => verifyInclusion(0, 2, h(1), [h(2)], EMPTY_ROOT),
  'invalid-peak-count': () => CompactRange.fromPeaks(3, [h(1)]),
  'invalid-base64': () => fromBase64('Zg'),
  'malformed-note': () => parseNote('no signatures\n'),
  'note-too-large': () => parseNote('x'.repeat(1024 * 1024 + 1)),
  'too-many-signatures': () => parseNote(`t\n\n${'\u2014 k AAAAAAA=\n'.repeat(101)}`),
  'malformed-verifier-key': () => parseVerifierKey('no-plus-signs'),
  'unsupported-key-type': () => parseVerifierKey(`k+00000000+${toBase64(new Uint8Array(33))}`),
  'bad-signature': () =>
    verifyNote(signNote('a\n', log).replace('a\n', 'b\n'), [parseVerifierKey(log.vkey)]),
  'no-trusted-signature': () => verifyNote(signNote('a\n', stranger), [parseVerifierKey(log.vkey)]),
  'malformed-checkpoint': () => parseCheckpoint('origin\n01\n'),
  'origin-mismatch': () =>
    verifyCheckpoint(
      signNote(
        formatCheckpoint({ origin: 'x', size: 0, rootHash: EMPTY_ROOT, extensions: [] }),
        log,
      ),
      log.vkey,
    ),
  'malformed-bundle': () => verifyBundle(bundle({ extra: true }), log.vkey),
  'bundle-too-large': () => verifyBundle(bundle({ entries: Array(100_001).fill(0) }), log.vkey),
  'untrusted-bundle-key': () => verifyBundle(bundle({ vkey: stranger.vkey }), log.vkey),
  'entry-not-included': () =>
    verifyBundle(bundle({ entries: [{ index: 0, entry: 'f', proof: [] }] }), log.vkey),
  'token-too-large': () => verifyAgentCertificate('a'.repeat(8193), id.options),
  'token-malformed': () => verifyAgentCertificate('a.b', id.options),
  'duplicate-json-key': async () =>
    verifyAgentCertificate(await signRawHeader('{"alg":"EdDSA","alg":"EdDSA"}', '{}'), id.options),
  'alg-not-allowed': async () =>
    verifyAgentCertificate(await signRawHeader('{"alg":"none"}', '{}'), id.options),
  'header-not-allowed': () => certWith({}, { jku: 'https://attacker.example/jwks' }),
  'typ-invalid': () => certWith({}, { typ: 'JWT' }),
  'kid-unknown': () => certWith({}, { kid: 'unknown' }),
  'signature-invalid': () => id.verifier.verify(flipSignatureChar(id.certificate)),
  'issuer-invalid': () => certWith({ iss: 'https://other.example' }),
  'audience-invalid': () => certWith({ aud: 'other' }),
  expired: () => certWith({ exp: NOW - 31 }),
  'not-yet-valid': () => certWith({ nbf: NOW + 31 }),
  'claims-invalid': () => certWith({ exp: NOW - 60 + 3601 }),
  'cnf-missing': () => certWith({ cnf: undefined }),
  'proof-missing': () => request(undefined),
  'proof-typ-invalid': () => proofWith({}, { typ: 'JWT' }),
  'proof-key-mismatch': () => proofWith({}, {}, id.issuer), // signed by a key other than cnf's
  'proof-replayed': async () => {
    await proofWith({ jti: 'twice' });
    return proofWith({ jti: 'twice' });
  },
  'proof-method-mismatch': () => proofWith({ htm: 'GET' }),
  'proof-url-mismatch': () => proofWith({ htu: 'https://other.example/mcp' }),
  'proof-ath-mismatch': () => proofWith({ ath: 'x'.repeat(43) }),
  'proof-stale': () => proofWith({ iat: NOW - 61 }),
  'proof-nonce-invalid': () => proofWith({ nonce: 'bad' }),
  revoked: async () => request(await makeProof(id.agent, id.certificate), true),
  // Raised by the gateway from its agent registry (docs/identity.md rule 3); verify only defines them.
  'agent-not-active': () => {
    throw new VerifyError('agent-not-active');
  },
  'profile-changed': () => {
    throw new VerifyError('profile-changed');
  },
  'replay-cache-full': () => {
    const cache = new MemoryReplayCache({ maxEntries: 1, now: () => NOW });
    cache.use('a', NOW + 60);
    cache.use('b', NOW + 60);
  },
};

describe('VerifyError', () => {
  it.each(Object.entries(triggers) as Array<[VerifyErrorCode, () => unknown]>)(
    '%s',
    async (code, trigger) => {
      let caught: unknown;
      try {
        await trigger();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(VerifyError);
      const e = caught as VerifyError;
      expect(e.code).toBe(code);
      expect(e.name).toBe('VerifyError');
      expect(e.message).not.toBe('');
    },
  );

  it('has a fixed message per code, whatever the input', () => {
    const a = (() => {
      try {
        parseNote('secret-1\n');
      } catch (e) {
        return (e as VerifyError).message;
      }
    })();
    expect(a).toBe('malformed signed note');
    expect(new VerifyError('malformed-note', { cause: new Error('x'), index: 3 })).toMatchObject({
      message: 'malformed signed note',
      index: 3,
    });
    expect('index' in new VerifyError('malformed-note')).toBe(false);
  });
});

describe('misuse throws TypeError', () => {
  it.each([
    ['leafHash(string)', () => leafHash('x' as unknown as Uint8Array)],
    ['nodeHash(array)', () => nodeHash([] as unknown as Uint8Array, h(1))],
    [
      'verifyInclusion(string index)',
      () => verifyInclusion('0' as unknown as number, 1, h(1), [], h(1)),
    ],
    [
      'verifyInclusion(proof not array)',
      () => verifyInclusion(0, 1, h(1), {} as unknown as [], h(1)),
    ],
    [
      'verifyInclusion(proof of strings)',
      () => verifyInclusion(0, 2, h(1), ['x'] as unknown as [], h(1)),
    ],
    [
      'verifyConsistency(bigint size)',
      () => verifyConsistency(1n as unknown as number, 1, [], h(1), h(1)),
    ],
    [
      'CompactRange.fromPeaks(peaks not array)',
      () => CompactRange.fromPeaks(1, null as unknown as []),
    ],
    [
      'CompactRange.append(onNode not function)',
      () => CompactRange.empty().append(h(1), 1 as unknown as () => void),
    ],
    ['verifyCheckpoint(vkey not string)', () => verifyCheckpoint('', null as unknown as string)],
  ])('%s', (_, run) => {
    expect(run).toThrow(TypeError);
  });

  it('rejects non-32-byte hashes everywhere as VerifyError', () => {
    for (const run of [
      () => verifyInclusion(0, 1, new Uint8Array(0), [], h(1)),
      () => verifyInclusion(0, 1, h(1), [], new Uint8Array(33)),
      () => verifyConsistency(1, 2, [new Uint8Array(31)], h(1), h(2)),
      () => CompactRange.empty().append(new Uint8Array(31)),
      () => CompactRange.fromPeaks(1, [new Uint8Array(31)]),
    ]) {
      expect(run).toThrow(expect.objectContaining({ code: 'invalid-hash-size' }));
    }
  });

  it('rejects sizes and indexes that are not safe non-negative integers', () => {
    for (const bad of [-1, 0.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => verifyInclusion(bad, 2 ** 52, h(1), [], h(1))).toThrow(
        expect.objectContaining({ code: 'invalid-integer' }),
      );
      expect(() => verifyConsistency(1, bad, [], h(1), h(1))).toThrow(
        expect.objectContaining({ code: 'invalid-integer' }),
      );
      expect(() => CompactRange.fromPeaks(bad, [])).toThrow(
        expect.objectContaining({ code: 'invalid-integer' }),
      );
    }
  });
});

/** Changes one character inside the signature (never a no-op, never in the unused trailing bits). */
function flipSignatureChar(token: string): string {
  const at = token.length - 10;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}
