// Strict RFC 4648 §4 base64: RFC test vectors, round trips, and one accepted encoding per byte string.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VerifyError, fromBase64, toBase64 } from '../src/index.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base64', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10 vector %j', (text, b64) => {
    expect(toBase64(ascii(text))).toBe(b64);
    expect(fromBase64(b64)).toEqual(ascii(text));
  });

  it('round-trips and agrees with Node (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b64 = toBase64(bytes);
        expect(b64).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromBase64(b64)).toEqual(bytes);
      }),
    );
  });

  it('accepts only the canonical encoding (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 12 }), (s) => {
        let decoded: Uint8Array | undefined;
        try {
          decoded = fromBase64(s);
        } catch (e) {
          expect(e).toBeInstanceOf(VerifyError);
        }
        if (decoded !== undefined) expect(toBase64(decoded)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['missing padding', 'Zg'],
    ['too much padding', 'Zg==='],
    ['padding inside', 'Zg==Zg=='],
    ['non-zero trailing bits (1 byte)', 'Zh=='],
    ['non-zero trailing bits (2 bytes)', 'Zm9='],
    ['URL-safe alphabet', 'ab-_'],
    ['whitespace', 'Zm9v\n'],
    ['only padding', '===='],
    ['non-ASCII', 'Zm9é'],
  ])('rejects %s', (_, s) => {
    expect(() => fromBase64(s)).toThrow(expect.objectContaining({ code: 'invalid-base64' }));
  });

  it('throws TypeError on misuse', () => {
    expect(() => fromBase64(1 as unknown as string)).toThrow(TypeError);
    expect(() => toBase64([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
