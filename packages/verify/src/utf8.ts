// UTF-8 helpers: JavaScript strings are UTF-16, so lone surrogates must be refused before encoding (C2SP signed-note: "MUST be valid UTF-8").
import { utf8ToBytes } from '@noble/hashes/utils.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` has no lone surrogate, i.e. it has an exact UTF-8 encoding. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** UTF-8 bytes of a well-formed string. */
export function utf8(s: string): Uint8Array {
  return utf8ToBytes(s);
}

/** Length of the UTF-8 encoding of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair: one 4-byte sequence
      i++;
    } else n += 3;
  }
  return n;
}
