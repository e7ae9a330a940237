// Proofs of possession (RFC 9449 shape, docs/identity.md rule 2): each refusal with its own code, on a frozen clock.
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache, normalizeHtu, verifyProofOfPossession } from '../src/index.js';
import type { ProofCheckOptions, ReplayCache } from '../src/index.js';
import {
  NOW,
  URL_,
  ath,
  certificateClaims,
  clock,
  codeOf,
  ed25519Key,
  makeProof,
  signCertificate,
  signRawHeader,
} from './certificate-support.js';
import type { TestKey } from './certificate-support.js';

let issuer: TestKey;
let agent: TestKey;
let attacker: TestKey;
let certificate: string;
let otherCertificate: string;

beforeAll(async () => {
  issuer = await ed25519Key();
  agent = await ed25519Key();
  attacker = await ed25519Key();
  certificate = await signCertificate(certificateClaims(agent.jkt), issuer.privateKey);
  otherCertificate = await signCertificate(
    { ...certificateClaims(agent.jkt), jti: 'cert-0002' },
    issuer.privateKey,
  );
});

const optionsFor = (o: Partial<ProofCheckOptions> = {}): ProofCheckOptions => ({
  method: 'POST',
  url: URL_,
  certificate,
  jkt: agent.jkt,
  replayCache: new MemoryReplayCache({ now: clock }),
  now: clock,
  ...o,
});

describe('verifyProofOfPossession', () => {
  it('accepts a fresh proof and returns its jti, iat, key and thumbprint', async () => {
    const proof = await makeProof(agent, certificate, { jti: 'p-1' });
    await expect(verifyProofOfPossession(proof, optionsFor())).resolves.toEqual({
      jti: 'p-1',
      iat: NOW,
      jkt: agent.jkt,
      jwk: agent.jwk,
    });
  });

  it('accepts a URL that differs only in query, fragment, case of scheme/host and default port', async () => {
    const proof = await makeProof(agent, certificate, {
      htu: 'HTTPS://Gateway.Example.Test:443/mcp',
    });
    const url = 'https://gateway.example.test/mcp?session=1#x';
    await expect(verifyProofOfPossession(proof, optionsFor({ url }))).resolves.toBeTruthy();
  });

  it('accepts iat at both edges of the window (60 s old, 5 s ahead)', async () => {
    for (const iat of [NOW - 60, NOW + 5]) {
      const proof = await makeProof(agent, certificate, { iat });
      await expect(verifyProofOfPossession(proof, optionsFor())).resolves.toBeTruthy();
    }
  });

  it('refuses a replayed proof, and records the jti until the proof would be stale', async () => {
    const uses: Array<[string, number]> = [];
    const inner = new MemoryReplayCache({ now: clock });
    const replayCache: ReplayCache = { use: (j, e) => (uses.push([j, e]), inner.use(j, e)) };
    const proof = await makeProof(agent, certificate, { jti: 'once' });
    await verifyProofOfPossession(proof, optionsFor({ replayCache }));
    expect(await codeOf(() => verifyProofOfPossession(proof, optionsFor({ replayCache })))).toBe(
      'proof-replayed',
    );
    expect(uses).toEqual([
      ['once', NOW + 60],
      ['once', NOW + 60],
    ]);
  });

  it('works with an asynchronous replay cache', async () => {
    const seen = new Set<string>();
    const replayCache: ReplayCache = {
      use: async (jti) => !seen.has(jti) && seen.add(jti) !== undefined,
    };
    const proof = await makeProof(agent, certificate);
    await verifyProofOfPossession(proof, optionsFor({ replayCache }));
    expect(await codeOf(() => verifyProofOfPossession(proof, optionsFor({ replayCache })))).toBe(
      'proof-replayed',
    );
  });

  const cases: Array<[string, string, () => Promise<string>, Partial<ProofCheckOptions>?]> = [
    [
      'a proof signed by another key (its own jwk)',
      'proof-key-mismatch',
      () => makeProof(attacker, certificate),
    ],
    [
      'a proof naming the agent key but signed by another',
      'signature-invalid',
      () => makeProof(attacker, certificate, {}, { jwk: agent.jwk }),
    ],
    [
      'a proof for another method',
      'proof-method-mismatch',
      () => makeProof(agent, certificate, { htm: 'GET' }),
    ],
    [
      'a lower-case htm',
      'proof-method-mismatch',
      () => makeProof(agent, certificate, { htm: 'post' }),
    ],
    [
      'a proof for another URL (path)',
      'proof-url-mismatch',
      () => makeProof(agent, certificate, { htu: 'https://gateway.example.test/admin' }),
    ],
    [
      'a proof for another host',
      'proof-url-mismatch',
      () => makeProof(agent, certificate, { htu: 'https://evil.example/mcp' }),
    ],
    [
      'a proof for http instead of https',
      'proof-url-mismatch',
      () => makeProof(agent, certificate, { htu: 'http://gateway.example.test/mcp' }),
    ],
    [
      'a proof for another certificate (ath)',
      'proof-ath-mismatch',
      async () => makeProof(agent, certificate, { ath: await ath(otherCertificate) }),
    ],
    [
      'a stale proof (61 s old)',
      'proof-stale',
      () => makeProof(agent, certificate, { iat: NOW - 61 }),
    ],
    [
      'a proof from the future (6 s ahead)',
      'proof-stale',
      () => makeProof(agent, certificate, { iat: NOW + 6 }),
    ],
    [
      'a missing nonce when one is required',
      'proof-nonce-invalid',
      () => makeProof(agent, certificate),
      { expectedNonce: (n) => n === 'n-1' },
    ],
    [
      'a wrong nonce',
      'proof-nonce-invalid',
      () => makeProof(agent, certificate, { nonce: 'n-0' }),
      { expectedNonce: (n) => n === 'n-1' },
    ],
    [
      'a wrong typ',
      'proof-typ-invalid',
      () => makeProof(agent, certificate, {}, { typ: 'agent-cert+jwt' }),
    ],
    [
      'alg none',
      'alg-not-allowed',
      async () => signRawHeader('{"alg":"none","typ":"dpop+jwt"}', '{}'),
    ],
    [
      'HS256',
      'alg-not-allowed',
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: agent.jwk })
          .sign(Buffer.from(agent.jwk.x, 'base64url')),
    ],
    [
      'a crit header',
      'header-not-allowed',
      async () =>
        signRawHeader(
          JSON.stringify({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: agent.jwk, crit: ['x'], x: 1 }),
          '{}',
          agent.privateKey,
        ),
    ],
    [
      'a jku header',
      'header-not-allowed',
      () => makeProof(agent, certificate, {}, { jku: 'https://attacker.example/jwks' }),
    ],
    [
      'a jwk with a private d member',
      'token-malformed',
      () => makeProof(agent, certificate, {}, { jwk: { ...agent.jwk, d: agent.jwk.x } }),
    ],
    [
      'a jwk that is not Ed25519',
      'token-malformed',
      () => makeProof(agent, certificate, {}, { jwk: { ...agent.jwk, crv: 'X25519' } }),
    ],
    ['no jwk', 'token-malformed', () => makeProof(agent, certificate, {}, { jwk: undefined })],
    [
      'an htu that is not a URL',
      'token-malformed',
      () => makeProof(agent, certificate, { htu: 'not a url' }),
    ],
    ['a string iat', 'token-malformed', () => makeProof(agent, certificate, { iat: String(NOW) })],
    ['no jti', 'token-malformed', () => makeProof(agent, certificate, { jti: undefined })],
    [
      'a jti over 256 chars',
      'token-malformed',
      () => makeProof(agent, certificate, { jti: 'j'.repeat(257) }),
    ],
    ['no ath', 'token-malformed', () => makeProof(agent, certificate, { ath: undefined })],
    [
      'a duplicate member in the proof header',
      'duplicate-json-key',
      () =>
        signRawHeader(
          `{"alg":"EdDSA","typ":"dpop+jwt","jwk":${JSON.stringify(agent.jwk)},"typ":"dpop+jwt"}`,
          '{}',
          agent.privateKey,
        ),
    ],
    ['a proof over 8 KiB', 'token-too-large', async () => `${'a'.repeat(8190)}.b.c`],
  ];

  it.each(cases)('refuses %s → %s', async (_, code, make, o) => {
    const proof = await make();
    expect(await codeOf(() => verifyProofOfPossession(proof, optionsFor(o)))).toBe(code);
  });

  it('does not burn the jti of a proof that fails any check', async () => {
    const replayCache = new MemoryReplayCache({ now: clock });
    for (const bad of [
      await makeProof(attacker, certificate, { jti: 'shared' }, { jwk: agent.jwk }),
      await makeProof(agent, certificate, { jti: 'shared', htm: 'GET' }),
      await makeProof(agent, certificate, { jti: 'shared', iat: NOW - 61 }),
    ]) {
      await expect(verifyProofOfPossession(bad, optionsFor({ replayCache }))).rejects.toThrow();
    }
    expect(replayCache.size).toBe(0);
    const good = await makeProof(agent, certificate, { jti: 'shared' });
    await expect(verifyProofOfPossession(good, optionsFor({ replayCache }))).resolves.toBeTruthy();
  });

  it('passes the nonce to expectedNonce and accepts when it returns true', async () => {
    const seen: unknown[] = [];
    const proof = await makeProof(agent, certificate, { nonce: 'n-1' });
    const expectedNonce = (n: string | undefined) => (seen.push(n), n === 'n-1');
    await expect(
      verifyProofOfPossession(proof, optionsFor({ expectedNonce })),
    ).resolves.toBeTruthy();
    expect(seen).toEqual(['n-1']);
  });

  it.each([
    ['proof not a string', () => verifyProofOfPossession(null as never, optionsFor())],
    [
      'no replay cache',
      () => verifyProofOfPossession('a.b.c', optionsFor({ replayCache: {} as never })),
    ],
    [
      'method not a string',
      () => verifyProofOfPossession('a.b.c', optionsFor({ method: 1 as never })),
    ],
    ['negative max age', () => verifyProofOfPossession('a.b.c', optionsFor({ maxAgeSeconds: -1 }))],
    [
      'nonce check not a function',
      () => verifyProofOfPossession('a.b.c', optionsFor({ expectedNonce: true as never })),
    ],
  ])('misuse throws TypeError: %s', async (_, run) => {
    await expect(run()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('normalizeHtu (RFC 9449 §4.3)', () => {
  it.each([
    ['https://EXAMPLE.com:443/a/b?q=1#f', 'https://example.com/a/b'],
    ['HTTP://example.com:80', 'http://example.com/'],
    ['https://example.com:8443/x', 'https://example.com:8443/x'],
    ['https://user:pw@example.com/x', 'https://example.com/x'],
    ['https://example.com/a/../b/./c', 'https://example.com/b/c'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
  ])('%s → %s', (input, out) => {
    expect(normalizeHtu(input)).toBe(out);
  });

  it.each([
    'not a url',
    '/relative',
    'ftp://example.com/',
    'https://',
    `https://a/${'x'.repeat(8192)}`,
  ])('refuses %s as token-malformed', (input) => {
    expect(() => normalizeHtu(input)).toThrow(expect.objectContaining({ code: 'token-malformed' }));
  });

  it('throws TypeError for a non-string', () => {
    expect(() => normalizeHtu(1 as never)).toThrow(TypeError);
  });
});
