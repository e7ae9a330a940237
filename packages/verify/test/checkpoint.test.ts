// C2SP tlog-checkpoint: formatting, strict parsing, and verification against the log key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VerifyError,
  formatCheckpoint,
  parseCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
} from '../src/index.js';
import { seed, signNote, testKey } from './signing.js';

const ROOT = new Uint8Array(32).map((_, i) => i);
const ROOT_B64 = Buffer.from(ROOT).toString('base64');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof VerifyError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('formatCheckpoint / parseCheckpoint', () => {
  it('formats the spec layout', () => {
    const c: Checkpoint = {
      origin: 'example.com/log',
      size: 20852163,
      rootHash: ROOT,
      extensions: [],
    };
    expect(formatCheckpoint(c)).toBe(`example.com/log\n20852163\n${ROOT_B64}\n`);
    expect(formatCheckpoint({ ...c, extensions: ['x y', 'z'] })).toBe(
      `example.com/log\n20852163\n${ROOT_B64}\nx y\nz\n`,
    );
  });

  it('round-trips (property)', () => {
    const line = fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((s) => ![...s].some((c) => c < ' '));
    fc.assert(
      fc.property(
        line,
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const c = { origin, size, rootHash, extensions };
          expect(parseCheckpoint(formatCheckpoint(c))).toEqual(c);
        },
      ),
    );
  });

  it.each([
    ['two lines', `o\n5\n`],
    ['no final newline', `o\n5\n${ROOT_B64}`],
    ['empty origin', `\n5\n${ROOT_B64}\n`],
    ['leading zero', `o\n05\n${ROOT_B64}\n`],
    ['negative size', `o\n-1\n${ROOT_B64}\n`],
    ['plus sign', `o\n+1\n${ROOT_B64}\n`],
    ['exponent', `o\n1e3\n${ROOT_B64}\n`],
    ['hex size', `o\n0x10\n${ROOT_B64}\n`],
    ['size with space', `o\n 5\n${ROOT_B64}\n`],
    ['size beyond 2^53', `o\n9007199254740992\n${ROOT_B64}\n`],
    ['root of 31 bytes', `o\n5\n${Buffer.alloc(31).toString('base64')}\n`],
    ['root of 33 bytes', `o\n5\n${Buffer.alloc(33).toString('base64')}\n`],
    ['root not base64', `o\n5\n${ROOT_B64.replace('A', '-')}\n`],
    ['root without padding', `o\n5\n${ROOT_B64.replace('=', '')}\n`],
    ['empty extension', `o\n5\n${ROOT_B64}\n\nx\n`],
    ['control character', `o\t\n5\n${ROOT_B64}\n`],
    ['carriage return', `o\r\n5\n${ROOT_B64}\n`],
    ['lone surrogate', `o\ud800\n5\n${ROOT_B64}\n`],
  ])('parseCheckpoint rejects %s', (_, body) => {
    expect(codeOf(() => parseCheckpoint(body))).toBe('malformed-checkpoint');
  });

  it('accepts size 0 and the largest safe size', () => {
    expect(parseCheckpoint(`o\n0\n${ROOT_B64}\n`).size).toBe(0);
    expect(parseCheckpoint(`o\n9007199254740991\n${ROOT_B64}\n`).size).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('formatCheckpoint throws TypeError on unrepresentable input', () => {
    const c: Checkpoint = { origin: 'o', size: 1, rootHash: ROOT, extensions: [] };
    expect(() => formatCheckpoint({ ...c, origin: '' })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...c, origin: 'a\nb' })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...c, size: -1 })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...c, size: 1.5 })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...c, rootHash: new Uint8Array(31) })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...c, extensions: [''] })).toThrow(TypeError);
    expect(() => parseCheckpoint(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('verifyCheckpoint', () => {
  const log = testKey('example.com/log', seed(1));
  const witness = testKey('witness.example', seed(2));
  const body = formatCheckpoint({ origin: log.name, size: 7, rootHash: ROOT, extensions: [] });

  it('returns the checkpoint signed by the log key, ignoring cosignatures', () => {
    expect(verifyCheckpoint(signNote(body, log, witness), log.vkey)).toEqual({
      origin: log.name,
      size: 7,
      rootHash: ROOT,
      extensions: [],
    });
  });

  it('rejects a checkpoint whose origin is not the key name', () => {
    const other = formatCheckpoint({
      origin: 'example.com/other',
      size: 7,
      rootHash: ROOT,
      extensions: [],
    });
    expect(codeOf(() => verifyCheckpoint(signNote(other, log), log.vkey))).toBe('origin-mismatch');
  });

  it('rejects a checkpoint signed only by another key', () => {
    expect(codeOf(() => verifyCheckpoint(signNote(body, witness), log.vkey))).toBe(
      'no-trusted-signature',
    );
  });

  it('rejects a signed note that is not a checkpoint', () => {
    expect(codeOf(() => verifyCheckpoint(signNote('hello\n', log), log.vkey))).toBe(
      'malformed-checkpoint',
    );
  });

  it('rejects a changed size or root', () => {
    const note = signNote(body, log);
    expect(codeOf(() => verifyCheckpoint(note.replace('\n7\n', '\n8\n'), log.vkey))).toBe(
      'bad-signature',
    );
  });
});
