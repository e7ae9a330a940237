// Every way a certificate is refused, each with its own code (docs/identity.md, "Error codes"), on a frozen clock.
import { SignJWT, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { VerifyError, verifyAgentCertificate } from '../src/index.js';
import type { CertificateCheckOptions } from '../src/index.js';
import {
  AUDIENCE,
  ISSUER,
  KID,
  NOW,
  certificateClaims,
  clock,
  codeOf,
  ed25519Key,
  jwksOf,
  signCertificate,
  signRawHeader,
  signRawPayload,
} from './certificate-support.js';
import type { TestKey } from './certificate-support.js';

let issuer: TestKey;
let agent: TestKey;
let attacker: TestKey;
let options: CertificateCheckOptions;
let claims: ReturnType<typeof certificateClaims>;

beforeAll(async () => {
  issuer = await ed25519Key();
  agent = await ed25519Key();
  attacker = await ed25519Key();
  options = { jwks: jwksOf(issuer), issuer: ISSUER, audience: AUDIENCE, now: clock };
  claims = certificateClaims(agent.jkt);
});

const verify = (token: string, o: Partial<CertificateCheckOptions> = {}) =>
  verifyAgentCertificate(token, { ...options, ...o });
const header = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ alg: 'EdDSA', typ: 'agent-cert+jwt', kid: KID, ...extra });

describe('verifyAgentCertificate accepts', () => {
  it('a valid certificate, returning exactly the signed claims', async () => {
    const token = await signCertificate(claims, issuer.privateKey);
    const v = await verify(token);
    expect(v).toEqual({ token, kid: KID, claims });
    expect(Object.isFrozen(v.claims) && Object.isFrozen(v.claims.agent)).toBe(true);
  });

  it('an audience array holding ours, and times right at the tolerance edges', async () => {
    const early = { ...claims, aud: ['other', AUDIENCE], nbf: NOW + 30, exp: NOW + 300 };
    // nbf = now + 30 is accepted with the default skew of 30 s ...
    await expect(verify(await signCertificate(early, issuer.privateKey))).resolves.toBeTruthy();
    // ... and so is exp = now - 29.
    const late = { ...claims, iat: NOW - 600, nbf: NOW - 600, exp: NOW - 29 };
    await expect(verify(await signCertificate(late, issuer.privateKey))).resolves.toBeTruthy();
  });
});

describe('verifyAgentCertificate refuses', () => {
  const cases: Array<[string, string, () => Promise<string>, Partial<CertificateCheckOptions>?]> = [
    ['alg none', 'alg-not-allowed', () => signRawHeader(header({ alg: 'none' }), j(claims))],
    [
      'HS256 with the issuer public key bytes as HMAC secret',
      'alg-not-allowed',
      async () =>
        new SignJWT({ ...claims })
          .setProtectedHeader({ alg: 'HS256', typ: 'agent-cert+jwt', kid: KID })
          .sign(Buffer.from(issuer.jwk.x, 'base64url')),
    ],
    [
      'RS256',
      'alg-not-allowed',
      async () =>
        new SignJWT({ ...claims })
          .setProtectedHeader({ alg: 'RS256', typ: 'agent-cert+jwt', kid: KID })
          .sign((await generateKeyPair('RS256')).privateKey),
    ],
    [
      'Ed25519 as a fully-specified alg (RFC 9864), not the spec’s EdDSA',
      'alg-not-allowed',
      () => signRawHeader(header({ alg: 'Ed25519' }), j(claims), issuer.privateKey),
    ],
    [
      'a missing alg',
      'alg-not-allowed',
      () => signRawHeader('{"typ":"agent-cert+jwt"}', j(claims)),
    ],
    [
      'an unknown kid',
      'kid-unknown',
      () => signCertificate(claims, issuer.privateKey, { kid: 'other' }),
    ],
    [
      'no kid',
      'kid-unknown',
      () => signRawHeader('{"alg":"EdDSA","typ":"agent-cert+jwt"}', j(claims), issuer.privateKey),
    ],
    ...(['jku', 'x5u'] as const).map((name): [string, string, () => Promise<string>] => [
      `an injected ${name} (signed by an attacker key)`,
      'header-not-allowed',
      () =>
        signCertificate(claims, attacker.privateKey, {
          [name]: 'https://attacker.example/keys',
        }),
    ]),
    [
      'an injected jwk (signed by that attacker key)',
      'header-not-allowed',
      () => signCertificate(claims, attacker.privateKey, { jwk: attacker.jwk }),
    ],
    [
      'an injected x5c',
      'header-not-allowed',
      () => signCertificate(claims, attacker.privateKey, { x5c: ['MIIBIjAN'] }),
    ],
    [
      'a crit header',
      'header-not-allowed',
      () => signRawHeader(header({ crit: ['exp'], exp: 1 }), j(claims), issuer.privateKey),
    ],
    [
      'any other header member',
      'header-not-allowed',
      () => signCertificate(claims, issuer.privateKey, { cty: 'JWT' }),
    ],
    [
      'a wrong typ',
      'typ-invalid',
      () => signCertificate(claims, issuer.privateKey, { typ: 'JWT' }),
    ],
    [
      'a proof presented as a certificate',
      'typ-invalid',
      () => signCertificate(claims, issuer.privateKey, { typ: 'dpop+jwt' }),
    ],
    [
      'a signature by another key under the issuer kid',
      'signature-invalid',
      () => signCertificate(claims, attacker.privateKey),
    ],
    [
      'an altered payload',
      'signature-invalid',
      async () => {
        const [h, , s] = (await signCertificate(claims, issuer.privateKey)).split('.');
        return `${h}.${b64u(j({ ...claims, agent: { ...claims.agent, version: 4 } }))}.${s}`;
      },
    ],
    [
      'a truncated signature',
      'signature-invalid',
      async () => {
        const [h, p, sig] = (await signCertificate(claims, issuer.privateKey)).split('.');
        return `${h}.${p}.${b64u(Buffer.from(sig!, 'base64url').subarray(0, 63))}`;
      },
    ],
    ['expired', 'expired', () => signCertificate({ ...claims, exp: NOW - 30 }, issuer.privateKey)],
    [
      'nbf in the future',
      'not-yet-valid',
      () => signCertificate({ ...claims, nbf: NOW + 31 }, issuer.privateKey),
    ],
    [
      'iat in the future',
      'not-yet-valid',
      () => signCertificate({ ...claims, iat: NOW + 31 }, issuer.privateKey),
    ],
    [
      'a wrong aud',
      'audience-invalid',
      () => signCertificate({ ...claims, aud: 'other-gateway' }, issuer.privateKey),
    ],
    [
      'an aud array without ours',
      'audience-invalid',
      () => signCertificate({ ...claims, aud: ['a', 'b'] }, issuer.privateKey),
    ],
    [
      'a wrong iss',
      'issuer-invalid',
      () => signCertificate({ ...claims, iss: 'https://evil.example' }, issuer.privateKey),
    ],
    [
      'a TTL over 1 h',
      'claims-invalid',
      () => signCertificate({ ...claims, exp: claims.iat + 3601 }, issuer.privateKey),
    ],
    [
      'exp before iat',
      'claims-invalid',
      () => signCertificate({ ...claims, iat: NOW, exp: NOW - 1 }, issuer.privateKey),
    ],
    ...(
      [
        ['no agent', { agent: undefined }],
        ['agent.version not an integer', { agent: { ...claimsShape().agent, version: '3' } }],
        ['no model version', { model: { provider: 'p', name: 'n' } }],
        ['an empty prompt digest', { prompt: { digest: '' } }],
        ['no mission', { mission: undefined }],
        ['a sub that is not a SPIFFE id', { sub: 'agent-1' }],
        ['a string iat', { iat: String(NOW - 60) }],
        ['an empty aud array', { aud: [] }],
        ['an act without sub', { act: {} }],
        ['a non-string jti', { jti: 7 }],
      ] as Array<[string, Record<string, unknown>]>
    ).map(([what, change]): [string, string, () => Promise<string>] => [
      what,
      'claims-invalid',
      () => signCertificate({ ...claims, ...change }, issuer.privateKey),
    ]),
    [
      'no cnf (a bearer token)',
      'cnf-missing',
      () => signCertificate({ ...claims, cnf: undefined }, issuer.privateKey),
    ],
    [
      'a cnf without jkt',
      'cnf-missing',
      () => signCertificate({ ...claims, cnf: { jwk: agent.jwk } }, issuer.privateKey),
    ],
    [
      'a cnf.jkt that is not a thumbprint',
      'claims-invalid',
      () => signCertificate({ ...claims, cnf: { jkt: 'x' } }, issuer.privateKey),
    ],
    ['a token over 8 KiB', 'token-too-large', async () => 'a'.repeat(8193)],
    [
      'a signed certificate over 8 KiB',
      'token-too-large',
      () => signCertificate({ ...claims, pad: 'x'.repeat(6200) }, issuer.privateKey),
    ],
    ['two parts', 'token-malformed', async () => 'eyJhbGciOiJFZERTQSJ9.e30'],
    ['four parts', 'token-malformed', async () => 'e30.e30.e30.e30'],
    [
      'broken base64 (standard alphabet)',
      'token-malformed',
      async () => (await signCertificate(claims, issuer.privateKey)).replace(/^./, '+'),
    ],
    [
      'base64 with padding',
      'token-malformed',
      async () => {
        const [h, p, s] = (await signCertificate(claims, issuer.privateKey)).split('.');
        return `${h}==.${p}.${s}`;
      },
    ],
    [
      'non-zero trailing bits in base64',
      'token-malformed',
      async () => `${b64u(header())}.${'e31'}.AA`,
    ],
    [
      'broken JSON in the header',
      'token-malformed',
      () => signRawHeader('{"alg":"EdDSA",', j(claims), issuer.privateKey),
    ],
    [
      'broken JSON in the payload',
      'token-malformed',
      () => signRawPayload('{"iss":', issuer.privateKey),
    ],
    [
      'a payload that is not an object',
      'token-malformed',
      () => signRawPayload('[1,2]', issuer.privateKey),
    ],
    [
      'invalid UTF-8 in the payload',
      'token-malformed',
      () => signRawPayload(new Uint8Array([0x7b, 0xff, 0x7d]), issuer.privateKey),
    ],
    [
      'a duplicate member in the header',
      'duplicate-json-key',
      () =>
        signRawHeader(
          '{"alg":"EdDSA","typ":"agent-cert+jwt","kid":"x","kid":"' + KID + '"}',
          j(claims),
          issuer.privateKey,
        ),
    ],
    [
      'a duplicate member in the payload (signed by the issuer)',
      'duplicate-json-key',
      () => signRawPayload(j(claims).replace(/^\{/, '{"aud":"other",'), issuer.privateKey),
    ],
    [
      'a duplicate member in a nested payload object',
      'duplicate-json-key',
      () =>
        signRawPayload(
          j(claims).replace('"cnf":{', `"cnf":{"jkt":"${attacker.jkt}",`),
          issuer.privateKey,
        ),
    ],
  ];

  it.each(cases)('%s → %s', async (_, code, make, o) => {
    const token = await make();
    expect(await codeOf(() => verify(token, o))).toBe(code);
  });

  it('a key not in the JWKS at all, whatever the token carries', async () => {
    const token = await signCertificate(claims, issuer.privateKey);
    expect(await codeOf(() => verify(token, { jwks: { keys: [] } }))).toBe('kid-unknown');
  });

  it('an ambiguous JWKS (two usable keys with one kid)', async () => {
    const token = await signCertificate(claims, issuer.privateKey);
    const jwks = { keys: [...jwksOf(issuer).keys, ...jwksOf(attacker).keys] };
    expect(await codeOf(() => verify(token, { jwks }))).toBe('kid-unknown');
  });

  it('keys in the JWKS that are not public Ed25519 signing keys are never used', async () => {
    const token = await signCertificate(claims, issuer.privateKey);
    for (const change of [{ use: 'enc' }, { key_ops: ['sign'] }, { alg: 'ES256' }, { d: 'AA' }]) {
      const jwks = { keys: [{ ...jwksOf(issuer).keys[0], ...change }] };
      expect(await codeOf(() => verify(token, { jwks }))).toBe('kid-unknown');
    }
  });

  it('with a custom TTL limit and clock tolerance', async () => {
    const token = await signCertificate(claims, issuer.privateKey);
    expect(await codeOf(() => verify(token, { maxTtlSeconds: 300 }))).toBe('claims-invalid');
    const late = () => NOW + 540 + 5;
    await expect(verify(token, { now: late, clockToleranceSeconds: 10 })).resolves.toBeTruthy();
    expect(await codeOf(() => verify(token, { now: late, clockToleranceSeconds: 5 }))).toBe(
      'expired',
    );
  });

  it('with fixed messages that never carry token content', async () => {
    const token = await signCertificate({ ...claims, iss: 'secret-issuer' }, issuer.privateKey);
    const e = await verify(token).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VerifyError);
    expect((e as VerifyError).message).toBe('certificate issuer is not the expected one');
    expect(JSON.stringify(e) + String(e)).not.toContain('secret');
  });
});

describe('misuse throws TypeError', () => {
  it.each([
    ['token not a string', () => verifyAgentCertificate(1 as unknown as string, options)],
    ['no options', () => verifyAgentCertificate('a.b.c', undefined as never)],
    ['jwks without keys', () => verify('a.b.c', { jwks: {} as never })],
    ['empty issuer', () => verify('a.b.c', { issuer: '' })],
    ['audience not a string', () => verify('a.b.c', { audience: ['a'] as never })],
    ['negative tolerance', () => verify('a.b.c', { clockToleranceSeconds: -1 })],
    ['now not a function', () => verify('a.b.c', { now: 5 as never })],
    ['now returning NaN', () => verify('a.b.c', { now: () => Number.NaN })],
  ])('%s', async (_, run) => {
    await expect(run()).rejects.toBeInstanceOf(TypeError);
  });
});

function j(v: unknown): string {
  return JSON.stringify(v);
}
function b64u(v: string | Uint8Array): string {
  return Buffer.from(typeof v === 'string' ? Buffer.from(v) : v).toString('base64url');
}
function claimsShape(): ReturnType<typeof certificateClaims> {
  return certificateClaims('x'.repeat(43));
}
