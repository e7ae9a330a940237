// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): origin, tree size, root hash, extension lines.
import { VerifyError } from './errors.js';
import { fromBase64, toBase64 } from './base64.js';
import { assertBytes, assertString, hasControl } from './checks.js';
import { HASH_SIZE } from './merkle-hash.js';
import { parseVerifierKey, verifyNote } from './signed-note.js';
import { isWellFormed, utf8Length } from './utf8.js';
import { MAX_NOTE_BYTES } from './limits.js';

/** A transparency-log tree head as carried in a checkpoint's note text. */
export interface Checkpoint {
  /** Log identity; for a verified checkpoint, equal to the signing key's name. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 root hash of the tree at `size` (32 bytes). */
  rootHash: Uint8Array;
  /** Opaque extension lines, each non-empty (usually none). */
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Formats the note text of a checkpoint, final newline included. Throws TypeError when a field
 * cannot be represented (empty origin or extension, control characters, size not a safe
 * non-negative integer, root hash not 32 bytes).
 */
export function formatCheckpoint(c: Checkpoint): string {
  if (typeof c !== 'object' || c === null) throw new TypeError('checkpoint must be an object');
  const { origin, size, rootHash, extensions } = c;
  assertString(origin, 'origin');
  if (!isValidLine(origin)) throw new TypeError('origin must be a non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new TypeError('size must be a safe non-negative integer');
  }
  assertBytes(rootHash, 'rootHash');
  if (rootHash.length !== HASH_SIZE) throw new TypeError('rootHash must be 32 bytes');
  if (!Array.isArray(extensions)) throw new TypeError('extensions must be an array');
  for (const e of extensions as unknown[]) {
    assertString(e, 'extension');
    if (!isValidLine(e)) throw new TypeError('extension must be a non-empty line');
  }
  return [origin, String(size), toBase64(rootHash), ...extensions].map((l) => `${l}\n`).join('');
}

function isValidLine(line: string): boolean {
  return line.length > 0 && !hasControl(line, false) && isWellFormed(line);
}

/**
 * Parses checkpoint note text (final newline included): at least three non-empty lines — origin,
 * decimal tree size without leading zeroes, base64 root hash of 32 bytes — then optional
 * non-empty extension lines. Does not check any signature. Throws VerifyError
 * `malformed-checkpoint`.
 */
export function parseCheckpoint(body: string): Checkpoint {
  assertString(body, 'body');
  if (body.length > MAX_NOTE_BYTES || utf8Length(body) > MAX_NOTE_BYTES || !body.endsWith('\n')) {
    throw new VerifyError('malformed-checkpoint');
  }
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3 || !lines.every(isValidLine)) throw new VerifyError('malformed-checkpoint');
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  const size = Number(sizeText);
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(size)) {
    throw new VerifyError('malformed-checkpoint');
  }
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootText);
  } catch (cause) {
    throw new VerifyError('malformed-checkpoint', { cause });
  }
  if (rootHash.length !== HASH_SIZE) throw new VerifyError('malformed-checkpoint');
  return { origin, size, rootHash, extensions };
}

/**
 * Verifies a checkpoint: the signed note MUST carry a valid signature by `vkey` and its origin
 * MUST equal the key's name (`origin-mismatch`). Other signatures (e.g. witness cosignatures) are
 * ignored unless they claim `vkey`'s name and key id. Throws VerifyError with the codes of
 * `parseVerifierKey`, `verifyNote` and {@link parseCheckpoint}, or `origin-mismatch`.
 */
export function verifyCheckpoint(note: string, vkey: string): Checkpoint {
  assertString(note, 'note');
  assertString(vkey, 'vkey');
  const verifier = parseVerifierKey(vkey);
  const { text } = verifyNote(note, [verifier]);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== verifier.name) throw new VerifyError('origin-mismatch');
  return checkpoint;
}
