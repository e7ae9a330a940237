// Offline audit bundle (DESIGN §5): a signed checkpoint plus entries, each with its RFC 9162 inclusion proof.
import { VerifyError } from './errors.js';
import { fromBase64 } from './base64.js';
import { assertString } from './checks.js';
import { verifyCheckpoint } from './checkpoint.js';
import { verifyInclusion } from './inclusion-proof.js';
import { leafHash } from './merkle-hash.js';
import { isWellFormed, utf8, utf8Length } from './utf8.js';
import { MAX_BUNDLE_ENTRIES, MAX_ENTRY_BYTES, MAX_PROOF_HASHES } from './limits.js';

/** Format tag of {@link AuditBundle}. */
const FORMAT = 'zt4ai.audit-bundle/v1';
const BUNDLE_KEYS = ['checkpoint', 'entries', 'format', 'vkey'];
const ENTRY_KEYS = ['entry', 'index', 'proof'];

/** What `zt4ai audit export` writes: everything needed to check entries with only the log's key. */
export interface AuditBundle {
  format: 'zt4ai.audit-bundle/v1';
  /** The log's verifier key; informational, it MUST equal the key the auditor trusts. */
  vkey: string;
  /** The signed checkpoint note (C2SP tlog-checkpoint). */
  checkpoint: string;
  /** Log entries (canonical JSON text) with their inclusion proofs under the checkpoint root. */
  entries: Array<{ index: number; entry: string; proof: string[] }>;
}

type BundleEntry = AuditBundle['entries'][number];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasExactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value).sort();
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

/** Step 1: the outer shape, strictly (unknown keys are an error). */
function parseShape(bundle: unknown): AuditBundle {
  if (!isPlainObject(bundle) || !hasExactKeys(bundle, BUNDLE_KEYS)) {
    throw new VerifyError('malformed-bundle');
  }
  const { format, vkey, checkpoint, entries } = bundle;
  if (
    format !== FORMAT ||
    typeof vkey !== 'string' ||
    typeof checkpoint !== 'string' ||
    !Array.isArray(entries)
  ) {
    throw new VerifyError('malformed-bundle');
  }
  if (entries.length > MAX_BUNDLE_ENTRIES) throw new VerifyError('bundle-too-large');
  return { format, vkey, checkpoint, entries: entries as BundleEntry[] };
}

/** Steps 1 and 4: one entry's shape; `index` on the error once the entry's own index is readable. */
function parseEntry(
  value: unknown,
  seen: Set<number>,
): { index: number; leaf: Uint8Array; proof: Uint8Array[] } {
  if (!isPlainObject(value) || !hasExactKeys(value, ENTRY_KEYS)) {
    throw new VerifyError('malformed-bundle');
  }
  const { index, entry, proof } = value;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new VerifyError('malformed-bundle');
  }
  const fail = (cause?: unknown): VerifyError =>
    new VerifyError('malformed-bundle', cause === undefined ? { index } : { index, cause });
  if (seen.has(index)) throw fail();
  seen.add(index);
  if (typeof entry !== 'string' || !isWellFormed(entry)) throw fail();
  if (entry.length > MAX_ENTRY_BYTES || utf8Length(entry) > MAX_ENTRY_BYTES) throw fail();
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) throw fail();
  const hashes = (proof as unknown[]).map((h) => {
    if (typeof h !== 'string') throw fail();
    try {
      return fromBase64(h);
    } catch (cause) {
      throw fail(cause);
    }
  });
  return { index, leaf: leafHash(utf8(entry)), proof: hashes };
}

/**
 * Verifies an audit bundle offline with nothing but the log's trusted verifier key:
 * 1. the bundle has exactly the {@link AuditBundle} shape (unknown keys, wrong types, duplicate
 *    entry indexes, over-long proofs or entries → `malformed-bundle`; over 100,000 entries →
 *    `bundle-too-large`);
 * 2. `bundle.vkey` equals `trustedVkey` (`untrusted-bundle-key`);
 * 3. the checkpoint verifies under `trustedVkey` (codes of `verifyCheckpoint`);
 * 4. for every entry, `leafHash(UTF-8(entry))` is included at `index` under the checkpoint root
 *    (`entry-not-included`, with the inclusion failure as `cause`).
 * Entry errors carry `index`: the log index of the first bad entry. Returns the verified tree head
 * and the number of entries checked.
 */
export function verifyBundle(
  bundle: unknown,
  trustedVkey: string,
): { origin: string; treeSize: number; rootHash: Uint8Array; entries: number } {
  assertString(trustedVkey, 'trustedVkey');
  const shape = parseShape(bundle);
  if (shape.vkey !== trustedVkey) throw new VerifyError('untrusted-bundle-key');
  const checkpoint = verifyCheckpoint(shape.checkpoint, trustedVkey);
  const seen = new Set<number>();
  for (const raw of shape.entries) {
    const { index, leaf, proof } = parseEntry(raw, seen);
    try {
      verifyInclusion(index, checkpoint.size, leaf, proof, checkpoint.rootHash);
    } catch (cause) {
      if (!(cause instanceof VerifyError)) throw cause;
      throw new VerifyError('entry-not-included', { index, cause });
    }
  }
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    rootHash: checkpoint.rootHash,
    entries: shape.entries.length,
  };
}
