// Known answers from the standards' own sources (CONVENTIONS 12): RFC 8037, RFC 7638, and C2SP/wycheproof.
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, verifyAgentCertificate } from '../src/index.js';
import { verifyEd25519Signature } from '../src/certificate/verify-signature.js';
import { AUDIENCE, ISSUER, codeOf } from './certificate-support.js';
import { readVector } from './vectors.js';

interface CookbookJws {
  input: { key: { kty: string; crv: string; x: string; d: string } };
  output: { compact: string };
}
const rfc8037 = readVector('jose', 'curve25519', 'jws.json') as CookbookJws;
const sigOf = (token: string) => Buffer.from(token.split('.')[2]!, 'base64url');

describe('RFC 8037 A.4/A.5: the Ed25519 JWS example', () => {
  const { key } = rfc8037.input;
  const token = rfc8037.output.compact;

  it('verifies with its key, through the signature step certificates and proofs use', async () => {
    await expect(verifyEd25519Signature(token, sigOf(token), key.x)).resolves.toBeUndefined();
  });

  it.each([
    ['payload', (t: string) => t.replace('.RXhh', '.RXhi')],
    ['signature', (t: string) => t.slice(0, -2) + (t.endsWith('Ag') ? 'Aw' : 'Ag')],
    ['header', (t: string) => t.replace('eyJhbGciOiJFZERTQSJ9', 'eyJhbGciOiJFZERTQSIgfQ')],
  ])('a tampered %s fails', async (_, tamper) => {
    const bad = tamper(token);
    expect(bad).not.toBe(token);
    expect(await codeOf(() => verifyEd25519Signature(bad, sigOf(bad), key.x))).toBe(
      'signature-invalid',
    );
  });

  it('is refused as a certificate (it has no typ, kid or claims)', async () => {
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: key.x, kid: 'rfc8037' }] };
    expect(
      await codeOf(() =>
        verifyAgentCertificate(token, { jwks, issuer: ISSUER, audience: AUDIENCE }),
      ),
    ).toBe('typ-invalid');
  });
});

describe('RFC 7638 thumbprints', () => {
  it('§3.1: the RSA example key', async () => {
    // RFC 7638 §3.1 (not in the vectors tree): its thumbprint is the known answer below.
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('RFC 8037 A.3: the Ed25519 key of curve25519/jws.json (private or public form)', async () => {
    const { kty, crv, x, d } = rfc8037.input.key;
    expect(await jwkThumbprint({ kty, crv, x })).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
    expect(await jwkThumbprint({ kty, crv, x, d, use: 'sig' })).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });

  it('EC and oct keys use their own required members', async () => {
    const ec = readVector('jose', 'jwk', '3_1.ec_public_key.json') as Record<string, string>;
    const thumb = await jwkThumbprint(ec as never);
    expect(thumb).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await jwkThumbprint({ ...ec, kid: 'other' } as never)).toBe(thumb);
  });

  it('throws TypeError for an unknown kty or a missing member', async () => {
    await expect(jwkThumbprint({ kty: 'XYZ' })).rejects.toBeInstanceOf(TypeError);
    await expect(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519' })).rejects.toBeInstanceOf(TypeError);
    await expect(jwkThumbprint(null as never)).rejects.toBeInstanceOf(TypeError);
  });
});

interface EddsaTest {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface EddsaGroup {
  publicKey: { pk: string };
  tests: EddsaTest[];
}

describe('wycheproof ed25519_test.json through the runtime primitive jose uses (WebCrypto Ed25519)', () => {
  const file = readVector('wycheproof', 'testvectors_v1', 'ed25519_test.json') as {
    numberOfTests: number;
    testGroups: EddsaGroup[];
  };
  const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

  async function accepts(pk: string, t: EddsaTest): Promise<boolean> {
    let key: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
    try {
      key = await crypto.subtle.importKey('raw', hex(pk), { name: 'Ed25519' }, false, ['verify']);
    } catch {
      return false; // a key that does not import is a rejection
    }
    try {
      return await crypto.subtle.verify('Ed25519', key, hex(t.sig), hex(t.msg));
    } catch {
      return false;
    }
  }

  it('accepts exactly the tests labelled valid (88 valid, 63 invalid)', async () => {
    const disagreements: number[] = [];
    const counts = { valid: 0, invalid: 0 };
    for (const group of file.testGroups) {
      for (const t of group.tests) {
        expect(t.result).not.toBe('acceptable'); // the file labels every case one way
        counts[t.result as 'valid' | 'invalid']++;
        if ((await accepts(group.publicKey.pk, t)) !== (t.result === 'valid')) {
          disagreements.push(t.tcId);
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(counts).toEqual({ valid: 88, invalid: 63 });
    expect(counts.valid + counts.invalid).toBe(file.numberOfTests);
  });
});

/*
 * wycheproof json_web_signature_test.json: no group uses EdDSA, so for us every token in it must
 * be refused, whatever its label ("valid" there means "valid for its own algorithm"). We feed the
 * compact tokens of the groups that exercise JWS-level attacks a certificate verifier sees: hs256
 * (alg confusion, modified/missing signatures, JSON serialisation), es256 and SpecialCaseEs256
 * (signature encodings), rs256/rs384/rs512 and ps256/ps384/ps512 (padding attacks, alg:none,
 * WrongPrimitive alg switches), rfc7520/rfc7520WithKeyOps (RFC 7520 §4 examples), base64 (edge
 * cases of the base64url parts), each with the group's key (public, or the secret) as our JWKS.
 * Groups that do not apply, and why:
 *  - rsa_encryption, ec_key_for_encryption (key `use: enc` / `key_ops: [encrypt]`): they test a
 *    library's key-usage checks; we never use non-Ed25519 keys at all (fed anyway: still refused).
 * The codes: alg-not-allowed (354) for every token with three parts and a readable header (none is
 * EdDSA), token-malformed (47) for the rest: missing or extra parts, an empty header or payload,
 * JSON serialisation, and base64url with spaces, foreign characters or non-zero unused bits.
 */
describe('wycheproof json_web_signature_test.json: every token refused', () => {
  const file = readVector('wycheproof', 'testvectors_v1', 'json_web_signature_test.json') as {
    testGroups: Array<{
      comment: string;
      public?: Record<string, unknown>;
      private?: Record<string, unknown>;
      tests: Array<{ tcId: number; jws: unknown }>;
    }>;
  };
  const rows = file.testGroups.flatMap((g) =>
    g.tests.map((t) => ({
      group: g.comment,
      tcId: t.tcId,
      jws: t.jws,
      key: g.public ?? g.private,
    })),
  );

  it(`refuses all ${rows.length} tokens`, async () => {
    const codes = new Map<string, number>();
    for (const row of rows) {
      const token = typeof row.jws === 'string' ? row.jws : JSON.stringify(row.jws);
      const jwks = { keys: [row.key as Record<string, unknown>] };
      const code = await codeOf(() =>
        verifyAgentCertificate(token, { jwks, issuer: ISSUER, audience: AUDIENCE }),
      );
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(rows.length).toBe(401);
    expect(Object.fromEntries(codes)).toEqual({ 'alg-not-allowed': 354, 'token-malformed': 47 });
  });
});
