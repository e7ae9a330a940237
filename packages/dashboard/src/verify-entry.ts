// Verifies an audit entry in the browser with @zt4ai/verify: the checkpoint's signature under the
// log's key, the leaf hash recomputed from the entry's bytes, and the inclusion proof to the signed
// root. Nothing the server computed is trusted but the key.
import { fromBase64, leafHash, verifyCheckpoint, verifyInclusion } from '@zt4ai/verify';

export interface EntryWithProof {
  readonly index: number;
  readonly entry: string;
  readonly proof: { treeSize: number; leafIndex: number; leafHash: string; hashes: string[] };
  readonly checkpoint: string;
  readonly vkey: string;
}

export type Verification =
  | { readonly ok: true; readonly origin: string; readonly size: number }
  | { readonly ok: false; readonly reason: string };

export function verifyEntry(data: EntryWithProof): Verification {
  try {
    const checkpoint = verifyCheckpoint(data.checkpoint, data.vkey);
    if (data.proof.treeSize !== checkpoint.size)
      return { ok: false, reason: 'proof-size-mismatch' };
    const leaf = leafHash(new TextEncoder().encode(data.entry));
    verifyInclusion(
      data.index,
      checkpoint.size,
      leaf,
      data.proof.hashes.map(fromBase64),
      checkpoint.rootHash,
    );
    return { ok: true, origin: checkpoint.origin, size: checkpoint.size };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, reason: typeof code === 'string' ? code : 'verification-failed' };
  }
}
