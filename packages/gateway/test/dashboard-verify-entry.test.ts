// The audit explorer's in-browser check (packages/dashboard/src/verify-entry.ts) over a real log:
// an entry with its proof and the signed checkpoint verifies; any altered part does not, with the
// verifier's stable code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EntryWithProof, verifyEntry } from '../../dashboard/src/verify-entry.js';
import { type AuditLog, inclusionProofJson } from '../src/audit/index.js';
import type { Store } from '../src/store/index.js';
import { event, newSigner, openTestLog } from './support/audit.js';
import { cleanupStores, tempDir } from './support/stores.js';
import { openSqliteStore } from '../src/store/index.js';
import { join } from 'node:path';

let store: Store;
let log: AuditLog;
let good: EntryWithProof;

beforeAll(async () => {
  store = await openSqliteStore(join(tempDir(), 'zt4ai.db'));
  log = await openTestLog(store, { signer: newSigner() });
  for (let n = 0; n < 11; n += 1) await log.append(event(n));
  await log.flush();
  const checkpoint = await log.checkpoint();
  const [entry] = await log.entries(6, 1);
  good = {
    index: 6,
    entry: entry?.entry ?? '',
    proof: inclusionProofJson(await log.inclusionProof(6, 11)),
    checkpoint,
    vkey: log.vkey,
  };
});

afterAll(async () => {
  await log.close();
  await store.close();
  await cleanupStores();
});

describe('verifyEntry', () => {
  it('verifies an entry, its inclusion proof and the signed checkpoint', () => {
    expect(verifyEntry(good)).toEqual({ ok: true, origin: 'test.zt4ai.example/log', size: 11 });
  });

  it.each([
    [
      'an altered entry',
      (e: EntryWithProof) => ({ ...e, entry: e.entry.replace('"n":6', '"n":7') }),
      'root-mismatch',
    ],
    ['another index', (e: EntryWithProof) => ({ ...e, index: 5 }), 'root-mismatch'],
    [
      'an altered proof hash',
      (e: EntryWithProof) => ({
        ...e,
        proof: { ...e.proof, hashes: [...e.proof.hashes].reverse() },
      }),
      'root-mismatch',
    ],
    [
      'a checkpoint under another key',
      (e: EntryWithProof) => ({ ...e, vkey: newSigner().vkey }),
      undefined,
    ],
    [
      'a proof for another tree size',
      (e: EntryWithProof) => ({ ...e, proof: { ...e.proof, treeSize: 10 } }),
      'proof-size-mismatch',
    ],
  ])('refuses %s', (_name, alter, code) => {
    const result = verifyEntry(alter(good));
    expect(result.ok).toBe(false);
    if (code !== undefined) expect(result).toEqual({ ok: false, reason: code });
  });
});
