// RFC 6962 §2.1 Merkle hashes (also RFC 9162 §2.1.1): domain-separated SHA-256 for leaves and interior nodes.
import { sha256 } from '@noble/hashes/sha2.js';
import { VerifyError } from './errors.js';
import { assertBytes } from './checks.js';
import { MAX_PROOF_HASHES } from './limits.js';

/** Size in bytes of every Merkle hash (SHA-256). */
export const HASH_SIZE = 32;

const EMPTY = sha256(new Uint8Array(0));

/** The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). Do not mutate it. */
export const EMPTY_ROOT: Uint8Array = EMPTY.slice();

/** A fresh copy of the empty-tree root, immune to callers mutating {@link EMPTY_ROOT}. */
export function emptyRoot(): Uint8Array {
  return EMPTY.slice();
}

/** A Merkle hash must be a Uint8Array of exactly {@link HASH_SIZE} bytes, else VerifyError `invalid-hash-size`. */
export function assertHash(value: unknown, what: string): asserts value is Uint8Array {
  assertBytes(value, what);
  if (value.length !== HASH_SIZE) throw new VerifyError('invalid-hash-size');
}

/** A proof: an array of at most {@link MAX_PROOF_HASHES} hashes of 32 bytes. */
export function assertProof(value: unknown): asserts value is readonly Uint8Array[] {
  if (!Array.isArray(value)) throw new TypeError('proof must be an array');
  if (value.length > MAX_PROOF_HASHES) throw new VerifyError('proof-too-long');
  for (const h of value as unknown[]) assertHash(h, 'proof hash');
}

/** Leaf hash of an entry: `SHA-256(0x00 || entry)`. */
export function leafHash(entry: Uint8Array): Uint8Array {
  assertBytes(entry, 'entry');
  const buf = new Uint8Array(1 + entry.length);
  buf[0] = 0x00;
  buf.set(entry, 1);
  return sha256(buf);
}

/**
 * Interior node hash: `SHA-256(0x01 || left || right)`. Throws VerifyError `invalid-hash-size`
 * unless both children are 32 bytes.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, 'left');
  assertHash(right, 'right');
  return nodeHashUnchecked(left, right);
}

/** {@link nodeHash} for callers that have already checked both sizes. */
export function nodeHashUnchecked(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_SIZE);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + HASH_SIZE);
  return sha256(buf);
}
