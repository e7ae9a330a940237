// C2SP signed-note (https://c2sp.org/signed-note): parsing, verifier keys, Ed25519 signatures (type 0x01).
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { VerifyError } from './errors.js';
import { fromBase64, toBase64 } from './base64.js';
import { assertBytes, assertString, equalBytes, hasControl } from './checks.js';
import { isWellFormed, utf8, utf8Length } from './utf8.js';
import { MAX_NOTE_BYTES, MAX_SIGNATURES, MAX_VERIFIER_KEY_CHARS } from './limits.js';

/** Signature type byte of Ed25519 in C2SP signed-note. */
const ED25519_TYPE = 0x01;
const KEY_ID_SIZE = 4;
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
// "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B)"; the
// note as a whole MUST NOT contain controls below U+0020.
const BAD_NAME_CHAR = /[\p{White_Space}+]/u;

/** A trusted key a note may be signed with, matched on the pair (name, keyId). */
export interface NoteVerifier {
  /** Key name (signed-note: non-empty, no Unicode spaces, no `+`). */
  name: string;
  /** 4-byte key id, {@link noteKeyId} of name and key. */
  keyId: Uint8Array;
  /** 32-byte Ed25519 public key (RFC 8032 encoding). */
  publicKey: Uint8Array;
}

/** A parsed, not yet verified, signed note. */
export interface SignedNote {
  /** The note text, including its final newline (without the separating blank line). */
  text: string;
  /** Signature lines in order: key name, 4-byte key id and the signature bytes after it. */
  signatures: Array<{ name: string; keyId: Uint8Array; signature: Uint8Array }>;
}

function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 && !BAD_NAME_CHAR.test(name) && !hasControl(name, false) && isWellFormed(name)
  );
}

function assertKeyInputs(name: unknown, publicKey: unknown): asserts publicKey is Uint8Array {
  assertString(name, 'name');
  if (!isValidKeyName(name)) throw new TypeError('name is not a valid signed-note key name');
  assertBytes(publicKey, 'publicKey');
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError('publicKey must be 32 bytes');
}

function keyIdOf(name: string, publicKey: Uint8Array): Uint8Array {
  const nameBytes = utf8(name);
  const buf = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  buf.set(nameBytes, 0);
  buf[nameBytes.length] = 0x0a;
  buf[nameBytes.length + 1] = ED25519_TYPE;
  buf.set(publicKey, nameBytes.length + 2);
  return sha256(buf).slice(0, KEY_ID_SIZE);
}

/**
 * Key id of an Ed25519 note key: the first 4 bytes of `SHA-256(name || 0x0A || 0x01 || publicKey)`.
 * Throws TypeError when `name` is not a valid key name or `publicKey` is not 32 bytes.
 */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  assertKeyInputs(name, publicKey);
  return keyIdOf(name, publicKey);
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Encodes an Ed25519 verifier key as `name+hexkeyid+base64(0x01 || publicKey)`, the string form
 * read by {@link parseVerifierKey} and by Go's `golang.org/x/mod/sumdb/note`.
 */
export function encodeVerifierKey(name: string, publicKey: Uint8Array): string {
  assertKeyInputs(name, publicKey);
  const typed = new Uint8Array(1 + PUBLIC_KEY_SIZE);
  typed[0] = ED25519_TYPE;
  typed.set(publicKey, 1);
  return `${name}+${toHex(keyIdOf(name, publicKey))}+${toBase64(typed)}`;
}

/**
 * Parses a verifier key `name+hexkeyid+base64(0x01 || publicKey)`. Throws VerifyError
 * `malformed-verifier-key` (bad syntax, key id not matching name and key, or a public key that is
 * not a valid Ed25519 point) or `unsupported-key-type` (a signature type other than Ed25519).
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  assertString(vkey, 'vkey');
  if (vkey.length > MAX_VERIFIER_KEY_CHARS) throw new VerifyError('malformed-verifier-key');
  // The name holds no '+', the key id is hex; the base64 key itself may contain '+'.
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new VerifyError('malformed-verifier-key');
  const name = vkey.slice(0, first);
  const hexId = vkey.slice(first + 1, second);
  const keyB64 = vkey.slice(second + 1);
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hexId)) {
    throw new VerifyError('malformed-verifier-key');
  }
  let typed: Uint8Array;
  try {
    typed = fromBase64(keyB64);
  } catch (cause) {
    throw new VerifyError('malformed-verifier-key', { cause });
  }
  if (typed.length === 0) throw new VerifyError('malformed-verifier-key');
  if (typed[0] !== ED25519_TYPE) throw new VerifyError('unsupported-key-type');
  const publicKey = typed.slice(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE || !ed25519.utils.isValidPublicKey(publicKey, false)) {
    throw new VerifyError('malformed-verifier-key');
  }
  const keyId = keyIdOf(name, publicKey);
  if (toHex(keyId) !== hexId) throw new VerifyError('malformed-verifier-key');
  return { name, keyId, publicKey };
}

/**
 * Splits a signed note into its text and signature lines, without verifying anything. The note
 * MUST be well-formed UTF-16 (so it has a UTF-8 form), at most 1 MiB in UTF-8, free of control
 * characters other than newline, and end in a blank line followed by 1 to 100 signature lines
 * `— name base64(keyId || signature)`. Throws VerifyError `note-too-large`,
 * `too-many-signatures` or `malformed-note` (including a repeated (name, keyId) pair).
 */
export function parseNote(note: string): SignedNote {
  assertString(note, 'note');
  // Every UTF-16 unit costs at least one UTF-8 byte, so this bounds the work below.
  if (note.length > MAX_NOTE_BYTES) throw new VerifyError('note-too-large');
  if (!isWellFormed(note) || hasControl(note, true)) throw new VerifyError('malformed-note');
  if (utf8Length(note) > MAX_NOTE_BYTES) throw new VerifyError('note-too-large');
  // "the text is separated from the signatures by the last empty line in the note"
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new VerifyError('malformed-note');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new VerifyError('too-many-signatures');
  const seen = new Set<string>();
  const signatures = lines.map((line) => {
    const sig = parseSignatureLine(line);
    const id = `${sig.name} ${toHex(sig.keyId)}`;
    if (seen.has(id)) throw new VerifyError('malformed-note');
    seen.add(id);
    return sig;
  });
  return { text, signatures };
}

function parseSignatureLine(line: string): SignedNote['signatures'][number] {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new VerifyError('malformed-note');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new VerifyError('malformed-note');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new VerifyError('malformed-note');
  let raw: Uint8Array;
  try {
    raw = fromBase64(rest.slice(space + 1));
  } catch (cause) {
    throw new VerifyError('malformed-note', { cause });
  }
  if (raw.length <= KEY_ID_SIZE) throw new VerifyError('malformed-note');
  return { name, keyId: raw.slice(0, KEY_ID_SIZE), signature: raw.slice(KEY_ID_SIZE) };
}

function assertVerifiers(verifiers: unknown): asserts verifiers is readonly NoteVerifier[] {
  if (!Array.isArray(verifiers)) throw new TypeError('verifiers must be an array');
  const seen = new Set<string>();
  for (const v of verifiers as unknown[]) {
    if (typeof v !== 'object' || v === null) throw new TypeError('verifier must be an object');
    const { name, keyId, publicKey } = v as Record<string, unknown>;
    assertString(name, 'verifier.name');
    assertBytes(keyId, 'verifier.keyId');
    assertBytes(publicKey, 'verifier.publicKey');
    if (keyId.length !== KEY_ID_SIZE) throw new TypeError('verifier.keyId must be 4 bytes');
    if (publicKey.length !== PUBLIC_KEY_SIZE)
      throw new TypeError('verifier.publicKey must be 32 bytes');
    const id = `${name} ${toHex(keyId)}`;
    if (seen.has(id)) throw new TypeError('two verifiers share a name and key id');
    seen.add(id);
  }
}

/**
 * Verifies a signed note against trusted keys. Signatures from unknown keys (name or key id not
 * both matching a verifier) are ignored, as the spec requires. A signature from a known key that
 * does not verify rejects the whole note (`bad-signature`); at least one known key MUST have
 * signed it (`no-trusted-signature`). Ed25519 is checked strictly per RFC 8032 (canonical
 * encodings only). Returns the verified text and the names of the keys that signed it. Also throws
 * the codes of {@link parseNote}.
 */
export function verifyNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; verifiedBy: string[] } {
  assertString(note, 'note');
  assertVerifiers(verifiers);
  const { text, signatures } = parseNote(note);
  const message = utf8(text);
  const verifiedBy: string[] = [];
  for (const sig of signatures) {
    const key = verifiers.find((v) => v.name === sig.name && equalBytes(v.keyId, sig.keyId));
    if (key === undefined) continue;
    if (!verifyEd25519(sig.signature, message, key.publicKey)) {
      throw new VerifyError('bad-signature');
    }
    verifiedBy.push(key.name);
  }
  if (verifiedBy.length === 0) throw new VerifyError('no-trusted-signature');
  return { text, verifiedBy };
}

function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_SIZE) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
