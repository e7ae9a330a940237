// Proofs of possession, checked by the verifier the gateways use (@zt4ai/verify).
import { MemoryReplayCache, VerifyError, verifyProofOfPossession } from '@zt4ai/verify';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { AgentIdentity } from '../src/index.js';

// RFC 8037 Appendix A.1.
const KEY: JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};
const JKT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const NOW_MS = 1_800_000_000_000;
const CERTIFICATE = 'header.payload.signature';
// RFC 9449 §7.1: an access token and the `ath` of a proof for it.
const RFC9449_ACCESS_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const RFC9449_ATH = 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo';

function create(): Promise<AgentIdentity> {
  return AgentIdentity.create({
    issuer: 'https://zt4ai.example',
    agent: 'a',
    key: { privateJwk: KEY },
    model: { provider: 'p', name: 'n', version: 'v' },
    prompt: { template: 't' },
    now: () => NOW_MS,
  });
}

function check(proof: string, method: string, url: string, cache = new MemoryReplayCache()) {
  return verifyProofOfPossession(proof, {
    method,
    url,
    certificate: CERTIFICATE,
    jkt: JKT,
    replayCache: cache,
    now: () => NOW_MS / 1000,
  });
}

describe('proof', () => {
  it('is accepted by the gateway verifier for its method and URL', async () => {
    const identity = await create();
    const proof = await identity.proof('post', 'https://gw.example/mcp?session=1#x', {
      certificate: CERTIFICATE,
    });
    const verified = await check(proof, 'POST', 'https://gw.example/mcp');
    expect(verified.jkt).toBe(JKT);
    expect(verified.iat).toBe(NOW_MS / 1000);
  });

  it('has exactly the RFC 9449 header and claims, htu without query and fragment', async () => {
    const identity = await create();
    const proof = await identity.proof('GET', 'https://GW.example:443/a/./b?q=1#f', {
      certificate: RFC9449_ACCESS_TOKEN,
      nonce: 'server-nonce',
    });
    expect(decodeProtectedHeader(proof)).toEqual({
      alg: 'EdDSA',
      typ: 'dpop+jwt',
      jwk: { kty: 'OKP', crv: 'Ed25519', x: KEY.x },
    });
    const claims = decodeJwt(proof);
    expect(Object.keys(claims).sort()).toEqual(['ath', 'htm', 'htu', 'iat', 'jti', 'nonce']);
    expect(claims).toMatchObject({
      htm: 'GET',
      htu: 'https://gw.example/a/b',
      iat: NOW_MS / 1000,
      nonce: 'server-nonce',
      ath: RFC9449_ATH,
    });
  });

  it('is fresh on every call: a second proof is not a replay', async () => {
    const identity = await create();
    const cache = new MemoryReplayCache();
    const url = 'https://gw.example/mcp';
    const a = await identity.proof('GET', url, { certificate: CERTIFICATE });
    const b = await identity.proof('GET', url, { certificate: CERTIFICATE });
    expect(decodeJwt(a).jti).not.toBe(decodeJwt(b).jti);
    await check(a, 'GET', url, cache);
    await check(b, 'GET', url, cache);
    await expect(check(a, 'GET', url, cache)).rejects.toMatchObject({ code: 'proof-replayed' });
  });

  it('does not verify for another method, URL or certificate', async () => {
    const identity = await create();
    const proof = await identity.proof('GET', 'https://gw.example/a', { certificate: CERTIFICATE });
    await expect(check(proof, 'POST', 'https://gw.example/a')).rejects.toBeInstanceOf(VerifyError);
    await expect(check(proof, 'GET', 'https://gw.example/b')).rejects.toMatchObject({
      code: 'proof-url-mismatch',
    });
  });

  it('refuses a URL that is not absolute http(s) with a TypeError', async () => {
    const identity = await create();
    await expect(identity.proof('GET', '/relative', { certificate: CERTIFICATE })).rejects.toThrow(
      TypeError,
    );
    await expect(
      identity.proof('GET', 'ftp://gw.example/a', { certificate: CERTIFICATE }),
    ).rejects.toThrow(TypeError);
  });
});
