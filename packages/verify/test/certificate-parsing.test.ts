// Property tests for the token parsers (CONVENTIONS 12): strict base64url, strict JSON, and no crash on any input.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { VerifyError, verifyAgentCertificate, verifyProofOfPossession } from '../src/index.js';
import { base64urlDecode, base64urlEncode } from '../src/certificate/base64url.js';
import { parseJsonObject } from '../src/certificate/json.js';
import { URL_, clock, scenario } from './certificate-support.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('base64url (RFC 7515 §2)', () => {
  it('round-trips any bytes, matching Node’s encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = base64urlEncode(bytes);
        expect(s).toBe(Buffer.from(bytes).toString('base64url'));
        expect(base64urlDecode(s)).toEqual(bytes);
      }),
    );
  });

  it('accepts exactly one encoding per byte string', () => {
    const chars = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .'.split(''),
    );
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }), (cs) => {
        const s = cs.join('');
        let bytes: Uint8Array;
        try {
          bytes = base64urlDecode(s);
        } catch (e) {
          expect((e as VerifyError).code).toBe('token-malformed');
          return;
        }
        expect(base64urlEncode(bytes)).toBe(s);
      }),
    );
  });
});

describe('parseJsonObject', () => {
  it('agrees with JSON.parse on objects without repeated members', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), (obj) => {
        const text = JSON.stringify(obj);
        expect(parseJsonObject(utf8(text))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('finds a repeated member at any accepted depth', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 7 }), (name, depth) => {
        const key = JSON.stringify(name);
        let text = `{${key}:1,${key}:2}`;
        for (let i = 0; i < depth; i++) text = `{"a":[${text}]}`;
        expect(() => parseJsonObject(utf8(text))).toThrow(
          expect.objectContaining({ code: 'duplicate-json-key' }),
        );
      }),
    );
  });

  it('keeps __proto__ a plain member', () => {
    const o = parseJsonObject(utf8('{"__proto__":{"polluted":true}}'));
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['a BOM', '\uFEFF{}'],
    ['deep nesting', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['JSON5', '{a:1}'],
    ['NaN', '{"a":NaN}'],
    ['trailing data', '{} {}'],
    ['an array', '[]'],
  ])('refuses %s as token-malformed', (_, text) => {
    expect(() => parseJsonObject(utf8(text))).toThrow(
      expect.objectContaining({ code: 'token-malformed' }),
    );
  });
});

describe('no input crashes the verifiers', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  beforeAll(async () => {
    s = await scenario();
  });

  const onlyVerifyErrors = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      expect(e).toBeInstanceOf(VerifyError);
    }
  };

  it('any string, or any mutation of a valid certificate, is refused with a VerifyError', async () => {
    const mutated = fc
      .tuple(fc.nat({ max: 2000 }), fc.string({ maxLength: 3 }), fc.nat({ max: 3 }))
      .map(([at, insert, cut]) => {
        const i = at % s.certificate.length;
        return s.certificate.slice(0, i) + insert + s.certificate.slice(i + cut);
      })
      .filter((t) => t !== s.certificate);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), mutated), async (token) => {
        await expect(verifyAgentCertificate(token, s.options)).rejects.toBeInstanceOf(VerifyError);
        await onlyVerifyErrors(() =>
          verifyProofOfPossession(token, {
            method: 'POST',
            url: URL_,
            certificate: s.certificate,
            jkt: s.agent.jkt,
            replayCache: s.replayCache,
            now: clock,
          }),
        );
      }),
      { numRuns: 300 },
    );
  });
});
