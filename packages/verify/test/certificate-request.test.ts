// verifyAgentRequest and CertificateVerifier: the request pipeline's order, and the certificate cache.
import { describe, expect, it, vi } from 'vitest';
import * as jose from 'jose';
import { CertificateVerifier, MemoryReplayCache, verifyAgentRequest } from '../src/index.js';
import type { VerifiedCertificate } from '../src/index.js';
import {
  AUDIENCE,
  ISSUER,
  NOW,
  URL_,
  codeOf,
  ed25519Key,
  jwksOf,
  makeProof,
  scenario,
  signCertificate,
} from './certificate-support.js';

vi.mock('jose', async (original) => {
  const real = await original<typeof jose>();
  // A spy that still calls the real compactVerify: counts signature checks, changes nothing.
  return { ...real, compactVerify: vi.fn(real.compactVerify) };
});

describe('verifyAgentRequest', () => {
  it('accepts a valid certificate and proof, returning the signed claims and the proof', async () => {
    const s = await scenario();
    const proof = await makeProof(s.agent, s.certificate, { jti: 'r-1' });
    const out = await verifyAgentRequest(
      { certificate: s.certificate, proof, method: 'post', url: `${URL_}?x=1` },
      { verifier: s.verifier, replayCache: s.replayCache },
    );
    expect(out.claims).toEqual(s.claims);
    expect(out.token).toBe(s.certificate);
    expect(out.proof).toEqual({ jti: 'r-1', iat: NOW, jkt: s.agent.jkt, jwk: s.agent.jwk });
  });

  it('checks, in order: certificate, proof-missing, cnf-missing, proof, revoked', async () => {
    const s = await scenario();
    const bearer = await signCertificate({ ...s.claims, cnf: undefined }, s.issuer.privateKey);
    const expired = await signCertificate({ ...s.claims, exp: NOW - 31 }, s.issuer.privateKey);
    const run = (certificate: string | undefined, proof: string | undefined, revoked = false) =>
      codeOf(() =>
        verifyAgentRequest(
          { certificate, proof, method: 'POST', url: URL_ },
          { verifier: s.verifier, replayCache: s.replayCache, isRevoked: async () => revoked },
        ),
      );
    expect(await run(expired, undefined)).toBe('expired');
    expect(await run(undefined, undefined)).toBe('token-malformed');
    expect(await run(s.certificate, undefined)).toBe('proof-missing');
    expect(await run(s.certificate, '')).toBe('proof-missing');
    expect(await run(bearer, undefined)).toBe('proof-missing');
    expect(await run(bearer, await makeProof(s.agent, bearer))).toBe('cnf-missing');
    const attacker = await ed25519Key();
    expect(await run(s.certificate, await makeProof(attacker, s.certificate))).toBe(
      'proof-key-mismatch',
    );
    expect(await run(s.certificate, await makeProof(s.agent, s.certificate), true)).toBe('revoked');
  });

  it('passes the verified certificate to isRevoked', async () => {
    const s = await scenario();
    const seen: VerifiedCertificate[] = [];
    await verifyAgentRequest(
      {
        certificate: s.certificate,
        proof: await makeProof(s.agent, s.certificate),
        method: 'POST',
        url: URL_,
      },
      {
        verifier: s.verifier,
        replayCache: s.replayCache,
        isRevoked: (c) => (seen.push(c), false),
      },
    );
    expect(seen.map((c) => c.claims.jti)).toEqual(['cert-0001']);
  });

  it('uses its own clock for both tokens when given one', async () => {
    const s = await scenario();
    const later = () => NOW + 600; // past the certificate's exp (NOW + 540, skew 30)
    const proof = await makeProof(s.agent, s.certificate, { iat: NOW + 600 });
    expect(
      await codeOf(() =>
        verifyAgentRequest(
          { certificate: s.certificate, proof, method: 'POST', url: URL_ },
          { verifier: s.verifier, replayCache: s.replayCache, now: later },
        ),
      ),
    ).toBe('expired');
  });

  it('refuses a replayed request', async () => {
    const s = await scenario();
    const input = {
      certificate: s.certificate,
      proof: await makeProof(s.agent, s.certificate),
      method: 'POST',
      url: URL_,
    };
    const options = { verifier: s.verifier, replayCache: s.replayCache };
    await verifyAgentRequest(input, options);
    expect(await codeOf(() => verifyAgentRequest(input, options))).toBe('proof-replayed');
  });

  it.each([
    ['no input', () => verifyAgentRequest(null as never, {} as never)],
    ['no verifier', () => verifyAgentRequest({ method: 'GET', url: URL_ }, {} as never)],
    [
      'certificate not a string',
      () =>
        verifyAgentRequest(
          { certificate: 1 as never, method: 'GET', url: URL_ },
          {
            verifier: new CertificateVerifier({
              jwks: { keys: [] },
              issuer: ISSUER,
              audience: AUDIENCE,
            }),
            replayCache: new MemoryReplayCache(),
          },
        ),
    ],
  ])('misuse throws TypeError: %s', async (_, run) => {
    await expect(run()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('CertificateVerifier', () => {
  const signatureChecks = () => vi.mocked(jose.compactVerify).mock.calls.length;

  it('verifies a certificate once, then serves it from the cache', async () => {
    const s = await scenario();
    const before = signatureChecks();
    const a = await s.verifier.verify(s.certificate);
    const b = await s.verifier.verify(s.certificate);
    expect(b).toEqual(a);
    expect(b.claims).toEqual(s.claims);
    expect(signatureChecks() - before).toBe(1);
  });

  it('still refuses a cached certificate after its exp', async () => {
    const s = await scenario();
    let now = NOW;
    const verifier = new CertificateVerifier({ ...s.options, now: () => now });
    await verifier.verify(s.certificate);
    now = NOW + 540 + 30; // exp + skew
    const before = signatureChecks();
    expect(await codeOf(() => verifier.verify(s.certificate))).toBe('expired');
    expect(signatureChecks()).toBe(before); // the refusal came from the cache entry's claims
  });

  it('setJwks clears the cache: a certificate from a removed key is refused', async () => {
    const s = await scenario();
    await s.verifier.verify(s.certificate);
    const next = await ed25519Key();
    s.verifier.setJwks(jwksOf(next, 'issuer-2027-02'));
    expect(await codeOf(() => s.verifier.verify(s.certificate))).toBe('kid-unknown');
    s.verifier.setJwks(jwksOf(s.issuer));
    const before = signatureChecks();
    await s.verifier.verify(s.certificate);
    expect(signatureChecks() - before).toBe(1); // verified again, not served from a stale cache
  });

  it('does not cache a verification that began before setJwks', async () => {
    const s = await scenario();
    const pending = s.verifier.verify(s.certificate);
    s.verifier.setJwks({ keys: [] });
    await pending; // began under the old key set: it may finish...
    expect(await codeOf(() => s.verifier.verify(s.certificate))).toBe('kid-unknown'); // ...not be reused
  });

  it('caches only successes, and is bounded (least recently used out)', async () => {
    const s = await scenario();
    const verifier = new CertificateVerifier({ ...s.options, cacheSize: 2 });
    const tokens = await Promise.all(
      [1, 2, 3].map((i) => signCertificate({ ...s.claims, jti: `c-${i}` }, s.issuer.privateKey)),
    );
    for (const t of tokens) await verifier.verify(t); // c-1 is evicted
    let before = signatureChecks();
    await verifier.verify(tokens[2]!);
    await verifier.verify(tokens[1]!);
    expect(signatureChecks() - before).toBe(0);
    before = signatureChecks();
    await verifier.verify(tokens[0]!);
    expect(signatureChecks() - before).toBe(1);
    const bad = await signCertificate({ ...s.claims, iss: 'x' }, s.issuer.privateKey);
    for (let i = 0; i < 2; i++)
      expect(await codeOf(() => verifier.verify(bad))).toBe('issuer-invalid');
  });

  it('refuses with cnf-missing from the cache too', async () => {
    const s = await scenario();
    const bearer = await signCertificate({ ...s.claims, cnf: undefined }, s.issuer.privateKey);
    expect(await codeOf(() => s.verifier.verify(bearer))).toBe('cnf-missing');
    expect(await codeOf(() => s.verifier.verify(bearer))).toBe('cnf-missing');
  });

  it('a cache of size 0 verifies every time', async () => {
    const s = await scenario();
    const verifier = new CertificateVerifier({ ...s.options, cacheSize: 0 });
    const before = signatureChecks();
    await verifier.verify(s.certificate);
    await verifier.verify(s.certificate);
    expect(signatureChecks() - before).toBe(2);
  });

  it('misuse throws TypeError', async () => {
    const s = await scenario();
    expect(() => new CertificateVerifier({ ...s.options, cacheSize: -1 })).toThrow(TypeError);
    expect(() => s.verifier.setJwks(null as never)).toThrow(TypeError);
    await expect(s.verifier.verify(5 as never)).rejects.toBeInstanceOf(TypeError);
  });
});
