// C2SP signed-note: the spec's own example, then notes signed here with @noble/curves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VerifyError,
  encodeVerifierKey,
  noteKeyId,
  parseNote,
  parseVerifierKey,
  verifyNote,
} from '../src/index.js';
import { readVector } from './vectors.js';
import { seed, signNote, testKey } from './signing.js';

interface NoteExample {
  verifierKey: string;
  note: string;
  expect: string;
}

const example = readVector('signed-note', 'example.json') as NoteExample;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof VerifyError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('C2SP signed-note example', () => {
  const verifier = parseVerifierKey(example.verifierKey);

  it('parses the verifier key and checks its key id', () => {
    expect(example.expect).toBe('valid');
    expect(verifier.name).toBe('example.com/foo');
    expect(hex(verifier.keyId)).toBe('530d903a');
    expect(verifier.publicKey).toHaveLength(32);
    expect(noteKeyId(verifier.name, verifier.publicKey)).toEqual(verifier.keyId);
    expect(encodeVerifierKey(verifier.name, verifier.publicKey)).toBe(example.verifierKey);
  });

  it('verifies the example note', () => {
    expect(verifyNote(example.note, [verifier])).toEqual({
      text: 'This is an example message.\n',
      verifiedBy: ['example.com/foo'],
    });
    const parsed = parseNote(example.note);
    expect(parsed.text).toBe('This is an example message.\n');
    expect(parsed.signatures).toHaveLength(1);
    expect(hex(parsed.signatures[0]!.keyId)).toBe('530d903a');
    expect(parsed.signatures[0]!.signature).toHaveLength(64);
  });

  it('rejects the note when any bit of any byte changes', () => {
    const bytes = new TextEncoder().encode(example.note);
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = bytes.slice();
        changed[i]! ^= 1 << bit;
        const note = new TextDecoder().decode(changed);
        expect(() => verifyNote(note, [verifier]), `byte ${i} bit ${bit}`).toThrow(VerifyError);
      }
    }
  });

  it('rejects the note under another key', () => {
    const other = testKey('example.com/foo', seed(7));
    expect(codeOf(() => verifyNote(example.note, [parseVerifierKey(other.vkey)]))).toBe(
      'no-trusted-signature',
    );
    // Same name and key id but another public key: a known key whose signature fails.
    const impostor = { ...verifier, publicKey: other.publicKey };
    expect(codeOf(() => verifyNote(example.note, [impostor]))).toBe('bad-signature');
  });
});

describe('verifyNote', () => {
  const log = testKey('log.example/a', seed(1));
  const witness = testKey('witness.example/w', seed(2));
  const stranger = testKey('stranger.example', seed(3));
  const text = 'line one\n\nline three after an empty line\n';

  it('accepts any well-formed text signed by a known key (property)', () => {
    const line = fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .filter((s) => ![...s].some((c) => c < ' '));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const body = lines.map((l) => `${l}\n`).join('');
        const note = signNote(body, log);
        expect(verifyNote(note, [parseVerifierKey(log.vkey)])).toEqual({
          text: body,
          verifiedBy: [log.name],
        });
      }),
      { numRuns: 50 },
    );
  });

  it('ignores unknown signers and reports every known one', () => {
    const note = signNote(text, stranger, log, witness);
    const verifiers = [parseVerifierKey(log.vkey), parseVerifierKey(witness.vkey)];
    expect(verifyNote(note, verifiers)).toEqual({
      text,
      verifiedBy: [log.name, witness.name],
    });
    expect(verifyNote(note, [parseVerifierKey(witness.vkey)]).verifiedBy).toEqual([witness.name]);
  });

  it('rejects the whole note when a known key signed something else', () => {
    const forged = `${text}\n${log.signatureLine(text)}${witness.signatureLine('other\n')}`;
    const verifiers = [parseVerifierKey(log.vkey), parseVerifierKey(witness.vkey)];
    expect(codeOf(() => verifyNote(forged, verifiers))).toBe('bad-signature');
  });

  it('rejects a note signed by nobody it trusts', () => {
    expect(codeOf(() => verifyNote(signNote(text, stranger), [parseVerifierKey(log.vkey)]))).toBe(
      'no-trusted-signature',
    );
    expect(codeOf(() => verifyNote(signNote(text, log), []))).toBe('no-trusted-signature');
  });

  it('rejects a known key whose signature is not 64 bytes', () => {
    const keyId = Buffer.from(noteKeyId(log.name, log.publicKey));
    const short = Buffer.concat([keyId, Buffer.alloc(63)]).toString('base64');
    expect(
      codeOf(() =>
        verifyNote(`${text}\n\u2014 ${log.name} ${short}\n`, [parseVerifierKey(log.vkey)]),
      ),
    ).toBe('bad-signature');
  });

  it('accepts 100 signatures and refuses 101', () => {
    const keys = Array.from({ length: 101 }, (_, i) => testKey(`k${i}.example`, seed(i + 10)));
    const hundred = signNote(text, ...keys.slice(0, 100));
    expect(verifyNote(hundred, [parseVerifierKey(keys[99]!.vkey)]).verifiedBy).toEqual([
      'k99.example',
    ]);
    expect(codeOf(() => parseNote(signNote(text, ...keys)))).toBe('too-many-signatures');
  });

  it('refuses notes over 1 MiB of UTF-8', () => {
    // 'é' is two UTF-8 bytes: under the limit in UTF-16 units, over it in bytes.
    const big = `${'é'.repeat(512 * 1024)}\n`;
    expect(codeOf(() => parseNote(signNote(big, log)))).toBe('note-too-large');
    expect(codeOf(() => parseNote(`${'a'.repeat(1024 * 1024 + 1)}\n\n— x AAAAAAA=\n`))).toBe(
      'note-too-large',
    );
  });

  it.each([
    ['no blank line', 'text\n\u2014 a AAAAAAA=\n'],
    ['no signature', 'text\n\n'],
    ['no final newline', 'text\n\n\u2014 a AAAAAAA='],
    ['hyphen instead of em dash', 'text\n\n- a AAAAAAA=\n'],
    ['no space before signature', 'text\n\n\u2014 aAAAAAAA=\n'],
    ['empty key name', 'text\n\n\u2014  AAAAAAA=\n'],
    ['plus in key name', 'text\n\n\u2014 a+b AAAAAAA=\n'],
    ['signature of only a key id', 'text\n\n\u2014 a AAAAAA==\n'],
    ['signature not base64', 'text\n\n\u2014 a AAAA*AA=\n'],
    ['signature with a trailing space', 'text\n\n\u2014 a AAAAAAA= \n'],
    ['carriage return', 'text\r\n\n\u2014 a AAAAAAA=\n'],
    ['tab', 'te\txt\n\n\u2014 a AAAAAAA=\n'],
    ['NUL', 'te\u0000xt\n\n\u2014 a AAAAAAA=\n'],
    ['lone surrogate', 'te\ud800xt\n\n\u2014 a AAAAAAA=\n'],
    ['unicode space in key name', 'text\n\n\u2014 a\u00a0b AAAAAAA=\n'],
    ['duplicate signature', 'text\n\n\u2014 a AAAAAAA=\n\u2014 a AAAAAAA=\n'],
  ])('parseNote rejects %s', (_, note) => {
    expect(codeOf(() => parseNote(note))).toBe('malformed-note');
  });

  it('parseNote splits on the last blank line', () => {
    const parsed = parseNote('a\n\nb\n\n\u2014 k AAAAAAA=\n');
    expect(parsed.text).toBe('a\n\nb\n');
    expect(parsed.signatures).toEqual([
      { name: 'k', keyId: new Uint8Array(4), signature: new Uint8Array(1) },
    ]);
  });
});

describe('verifier keys', () => {
  const key = testKey('log.example/a', seed(1));

  it('round-trips, including keys whose base64 holds a plus', () => {
    let withPlus = 0;
    for (let i = 0; i < 40; i++) {
      const k = testKey(`k${i}.example`, seed(i + 100));
      if (k.vkey.split('+').length > 3) withPlus++;
      expect(parseVerifierKey(k.vkey).publicKey).toEqual(k.publicKey);
    }
    expect(withPlus).toBeGreaterThan(0);
    const v = parseVerifierKey(key.vkey);
    expect(v).toEqual({
      name: key.name,
      keyId: noteKeyId(key.name, key.publicKey),
      publicKey: key.publicKey,
    });
  });

  it.each([
    ['two parts', 'a+530d903a'],
    ['a plus after the key', `${key.vkey}+`],
    ['empty name', `+${key.vkey.split('+').slice(1).join('+')}`],
    [
      'upper-case key id',
      key.vkey.replace(/\+([0-9a-f]{8})\+/, (_, id: string) => `+${id.toUpperCase()}+`),
    ],
    ['short key id', key.vkey.replace(/\+([0-9a-f]{8})\+/, (_, id: string) => `+${id.slice(1)}+`)],
    ['wrong key id', key.vkey.replace(/\+([0-9a-f]{8})\+/, '+00000000+')],
    ['bad base64', `${key.vkey.split('+').slice(0, 2).join('+')}+AQ`],
    ['empty key', `${key.vkey.split('+').slice(0, 2).join('+')}+`],
    ['short public key', `${key.vkey.split('+').slice(0, 2).join('+')}+AQID`],
    ['too long', `${'a'.repeat(2000)}+00000000+AQ==`],
    ['name with a space', `a b+00000000+${key.vkey.split('+')[2]}`],
    [
      'public key not on the curve',
      `a+00000000+${Buffer.from([1, ...new Uint8Array(31).fill(0xff), 0x7f]).toString('base64')}`,
    ],
  ])('rejects %s', (_, vkey) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toBe('malformed-verifier-key');
  });

  it('rejects key types other than Ed25519', () => {
    const parts = key.vkey.split('+');
    const typed = Buffer.from(parts[2]!, 'base64');
    typed[0] = 0x02;
    expect(
      codeOf(() => parseVerifierKey(`${parts[0]}+${parts[1]}+${typed.toString('base64')}`)),
    ).toBe('unsupported-key-type');
  });

  it('throws TypeError on misuse', () => {
    expect(() => noteKeyId('a b', key.publicKey)).toThrow(TypeError);
    expect(() => noteKeyId('a', new Uint8Array(31))).toThrow(TypeError);
    expect(() => encodeVerifierKey('a+b', key.publicKey)).toThrow(TypeError);
    expect(() => parseVerifierKey(42 as unknown as string)).toThrow(TypeError);
    expect(() => parseNote(null as unknown as string)).toThrow(TypeError);
    expect(() => verifyNote(example.note, {} as unknown as [])).toThrow(TypeError);
    const v = parseVerifierKey(key.vkey);
    expect(() => verifyNote(example.note, [v, v])).toThrow(TypeError);
    expect(() => verifyNote(example.note, [{ ...v, keyId: new Uint8Array(3) }])).toThrow(TypeError);
  });
});
