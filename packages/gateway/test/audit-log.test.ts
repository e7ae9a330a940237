// The audit log's contract on every store driver: appends, proofs, checkpoints, payloads, limits.
import {
  EMPTY_ROOT,
  fromBase64,
  leafHash,
  verifyBundle,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@zt4ai/verify';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inclusionProofJson, type AuditLog } from '../src/audit/index.js';
import { ZtError } from '../src/errors.js';
import type { Store } from '../src/store/index.js';
import { event, FROZEN_TIME, newSigner, openTestLog } from './support/audit.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

async function rejection(promise: Promise<unknown>): Promise<ZtError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZtError);
  return error as ZtError;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[Math.floor(bit / 8) % copy.length]! ^= 1 << (bit % 8);
  return copy;
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`audit log: ${driver.name}`, () => {
    const SIZE = 77;
    let store: Store;
    let log: AuditLog;
    const rootAt = new Map<number, Uint8Array>();

    beforeAll(async () => {
      ({ store } = await driver.fresh());
      log = await openTestLog(store);
      // Appends in uneven bursts, keeping the checkpoint of every size reached.
      for (const burst of [1, 2, 5, 1, 20, 48]) {
        const base = await log.size();
        const indexes = await Promise.all(
          Array.from({ length: burst }, (_, i) => log.append(event(base + i))),
        );
        expect(indexes).toEqual(Array.from({ length: burst }, (_, i) => base + i));
        const checkpoint = verifyCheckpoint(await log.checkpoint(), log.vkey);
        rootAt.set(checkpoint.size, checkpoint.rootHash);
      }
    });
    afterAll(async () => {
      await log.close();
      await store.close();
    });

    it('assigns contiguous indexes and stores canonical entries that carry them', async () => {
      expect(await log.size()).toBe(SIZE);
      const entries = await log.entries(0, 1000);
      expect(entries.map((e) => e.index)).toEqual(Array.from({ length: SIZE }, (_, i) => i));
      expect(entries[3]?.entry).toBe(
        `{"agent":"agent-0","index":3,"n":3,"time":"${FROZEN_TIME.toISOString()}","type":"test"}`,
      );
    });

    it('keeps an event time that was given and stamps one that was not', async () => {
      const { store: own } = await driver.fresh();
      const other = await openTestLog(own);
      await other.append({ type: 't', time: '2020-01-01T00:00:00Z' });
      await other.append({ type: 't' });
      const [given, stamped] = await other.entries(0, 2);
      expect(JSON.parse(given!.entry).time).toBe('2020-01-01T00:00:00Z');
      expect(JSON.parse(stamped!.entry).time).toBe(FROZEN_TIME.toISOString());
      await other.close();
      await own.close();
    });

    it('produces inclusion proofs that verify, and fail after any single-bit change', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...rootAt.keys())
            .chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(255))),
          async ([size, index, bit]) => {
            const root = rootFromLog(size);
            const proof = await log.inclusionProof(index, size);
            const [entry] = await log.entries(index, 1);
            const leaf = leafHash(Buffer.from(entry!.entry, 'utf8'));
            expect(Buffer.from(proof.leafHash).equals(Buffer.from(leaf))).toBe(true);
            verifyInclusion(index, size, leaf, proof.hashes, root);
            expect(() =>
              verifyInclusion(index, size, flipBit(leaf, bit), proof.hashes, root),
            ).toThrow();
            expect(() =>
              verifyInclusion(index, size, leaf, proof.hashes, flipBit(root, bit)),
            ).toThrow();
            if (proof.hashes.length > 0) {
              const at = bit % proof.hashes.length;
              const tampered = proof.hashes.map((h, i) => (i === at ? flipBit(h, bit) : h));
              expect(() => verifyInclusion(index, size, leaf, tampered, root)).toThrow();
            }
          },
        ),
        { numRuns: 150 },
      );
    });

    it('produces consistency proofs that verify, and fail after any single-bit change', async () => {
      const sizes = [...rootAt.keys()];
      for (const from of sizes) {
        for (const to of sizes.filter((s) => s >= from)) {
          const proof = await log.consistencyProof(from, to);
          const [r1, r2] = [rootAt.get(from)!, rootAt.get(to)!];
          verifyConsistency(from, to, proof.hashes, r1, r2);
          expect(() =>
            verifyConsistency(from, to, proof.hashes, flipBit(r1, from + to), r2),
          ).toThrow();
          proof.hashes.forEach((_, at) => {
            const tampered = proof.hashes.map((h, i) => (i === at ? flipBit(h, at * 7) : h));
            expect(() => verifyConsistency(from, to, tampered, r1, r2)).toThrow();
          });
        }
      }
    });

    it('serves the JSON proof form with base64 hashes', async () => {
      const json = inclusionProofJson(await log.inclusionProof(5));
      expect(json.treeSize).toBe(SIZE);
      expect(json.leafIndex).toBe(5);
      const root = rootFromLog(SIZE);
      verifyInclusion(5, SIZE, fromBase64(json.leafHash), json.hashes.map(fromBase64), root);
    });

    it('refuses impossible proof requests with stable codes', async () => {
      expect((await rejection(log.inclusionProof(SIZE))).code).toBe('index-out-of-range');
      expect((await rejection(log.inclusionProof(0, 0))).code).toBe('invalid-tree-size');
      expect((await rejection(log.inclusionProof(0, SIZE + 1))).code).toBe('invalid-tree-size');
      expect((await rejection(log.inclusionProof(-1))).code).toBe('index-out-of-range');
      expect((await rejection(log.consistencyProof(5, 4))).code).toBe('invalid-range');
      expect((await rejection(log.consistencyProof(0, 4))).code).toBe('invalid-range');
      expect((await rejection(log.consistencyProof(1, SIZE + 1))).code).toBe('invalid-tree-size');
      expect((await log.consistencyProof(SIZE, SIZE)).hashes).toEqual([]);
    });

    it('refuses malformed and oversized events, writing nothing', async () => {
      const { store: own } = await driver.fresh();
      const small = await openTestLog(own, { maxEntryBytes: 200 });
      expect((await rejection(small.append('text'))).code).toBe('invalid-entry');
      expect((await rejection(small.append([1, 2]))).code).toBe('invalid-entry');
      expect((await rejection(small.append(null))).code).toBe('invalid-entry');
      expect((await rejection(small.append({ notype: 1 }))).code).toBe('invalid-entry');
      expect((await rejection(small.append({ type: '' }))).code).toBe('invalid-entry');
      expect((await rejection(small.append({ type: 'x', index: 3 }))).code).toBe('invalid-entry');
      expect((await rejection(small.append({ type: 'x', n: Number.NaN }))).code).toBe(
        'invalid-entry',
      );
      expect((await rejection(small.append({ type: 'x', big: 'y'.repeat(300) }))).code).toBe(
        'entry-too-large',
      );
      expect(await small.size()).toBe(0);
      expect(await small.append({ type: 'fits' })).toBe(0);
      await small.close();
      await own.close();
    });

    it('signs an empty checkpoint for an empty log', async () => {
      const { store: own } = await driver.fresh();
      const empty = await openTestLog(own);
      const checkpoint = verifyCheckpoint(await empty.checkpoint(), empty.vkey);
      expect(checkpoint.size).toBe(0);
      expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(EMPTY_ROOT))).toBe(true);
      expect(await empty.verify()).toEqual({ ok: true, size: 0, checkpoints: 0 });
      await empty.close();
      await own.close();
    });

    it('exports a bundle that @zt4ai/verify accepts', async () => {
      let text = '';
      for await (const chunk of log.exportBundle(10, 30)) text += chunk;
      const result = verifyBundle(JSON.parse(text), log.vkey);
      expect(result).toMatchObject({ treeSize: SIZE, entries: 20 });
    });

    it('verifies the whole log', async () => {
      const report = await log.verify();
      expect(report).toEqual({ ok: true, size: SIZE, checkpoints: rootAt.size });
    });

    it('refuses to open a log signed by another key', async () => {
      const error = await rejection(openTestLog(store, { signer: newSigner() }));
      expect(error.code).toBe('log-key-mismatch');
    });

    it('after a shred through another store handle, new payloads get a new key', async () => {
      const { store: own, reopen } = await driver.fresh();
      const signer = newSigner();
      const masterKey = randomBytes(32);
      const first = await openTestLog(own, { signer, masterKey });
      const second = await openTestLog(await reopen(), { signer, masterKey });
      const payloadOf = async (log: AuditLog, index: number): Promise<string> => {
        const [entry] = await log.entries(index, 1);
        return (JSON.parse(entry!.entry) as { payloads: { prompt: string } }).payloads.prompt;
      };
      const before = await payloadOf(
        first,
        await first.append(
          { type: 'llm.prompt', agent: 'agent-s' },
          { payloads: { prompt: 'old' } },
        ),
      );
      expect(await second.shred('agent-s')).toBe(true);
      // The first log held agent-s's key for sealing; the shred's announced change drops it.
      await expect
        .poll(async () => {
          const index = await first.append(
            { type: 'llm.prompt', agent: 'agent-s' },
            { payloads: { prompt: 'new' } },
          );
          return Buffer.from(await second.readPayload(await payloadOf(first, index))).toString();
        })
        .toBe('new');
      // The old payload stays unreadable, and says why: its key was shredded (the agent's newer key
      // did not seal it), not that it was altered.
      expect((await rejection(second.readPayload(before))).code).toBe('payload-shredded');
      await second.close();
      await first.close();
    });

    it('encrypts payloads per agent, commits to their digests, and shreds them by agent', async () => {
      const { store: own } = await driver.fresh();
      const vault = await openTestLog(own);
      const prompt = 'You are a careful agent. The account number is 12345678.';
      const index = await vault.append(
        { type: 'llm.prompt', agent: 'agent-a' },
        { payloads: { prompt, completion: Uint8Array.from([1, 2, 3]) } },
      );
      const other = await vault.append(
        { type: 'llm.prompt', agent: 'agent-b' },
        { payloads: { prompt: 'b' } },
      );
      const [entry] = await vault.entries(index, 1);
      const parsed = JSON.parse(entry!.entry) as { payloads: Record<string, string> };
      expect(Object.keys(parsed.payloads).sort()).toEqual(['completion', 'prompt']);
      expect(entry!.entry).not.toContain('12345678');
      const stored = await own.db.selectFrom('audit_payloads').selectAll().execute();
      expect(
        stored.every((row) => !Buffer.from(row.ciphertext).toString('latin1').includes('12345678')),
      ).toBe(true);
      expect(Buffer.from(await vault.readPayload(parsed.payloads.prompt!)).toString()).toBe(prompt);
      expect([...(await vault.readPayload(parsed.payloads.completion!))]).toEqual([1, 2, 3]);

      expect(await vault.shred('agent-a')).toBe(true);
      expect((await rejection(vault.readPayload(parsed.payloads.prompt!))).code).toBe(
        'payload-shredded',
      );
      const [otherEntry] = await vault.entries(other, 1);
      const otherDigest = (JSON.parse(otherEntry!.entry) as { payloads: { prompt: string } })
        .payloads.prompt;
      expect(Buffer.from(await vault.readPayload(otherDigest)).toString()).toBe('b');
      expect((await vault.verify()).ok).toBe(true);
      expect((await rejection(vault.readPayload('sha256:00'))).code).toBe('not-found');
      expect(
        (await rejection(vault.append({ type: 'x' }, { payloads: { prompt: 'no agent' } }))).code,
      ).toBe('invalid-entry');
      expect(
        (
          await rejection(
            vault.append({ type: 'x', agent: 'a' }, { payloads: { 'bad name': 'x' } }),
          )
        ).code,
      ).toBe('invalid-entry');
      await vault.close();
      await own.close();
    });

    it('prepares handed-over events with their batch: same entries, and a bad one fails alone', async () => {
      const { store: own } = await driver.fresh();
      const vault = await openTestLog(own, { maxEntryBytes: 400 });
      const handed = { type: 'guard.decision', agent: 'agent-h', tool: 't' };
      const appends = [
        vault.append(handed, { payloads: { args: '{"q":1}' }, handOver: true }),
        vault.append({ type: 'x', agent: 'agent-h', index: 1 }, { handOver: true }),
        vault.append({ type: 'x', big: 'y'.repeat(500) }, { handOver: true }),
        vault.append({ type: 'x', agent: 'a' }, { payloads: { 'bad name': 'x' }, handOver: true }),
        vault.append({ type: 'plain', agent: 'agent-h' }),
      ];
      const settled = await Promise.allSettled(appends);
      expect(
        settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as ZtError).code)),
      ).toEqual([0, 'invalid-entry', 'entry-too-large', 'invalid-entry', 1]);
      const [entry] = await vault.entries(0, 1);
      const parsed = JSON.parse(entry!.entry) as Record<string, unknown>;
      expect(parsed).toMatchObject({ ...handed, index: 0 });
      const digest = (parsed.payloads as { args: string }).args;
      expect(Buffer.from(await vault.readPayload(digest)).toString()).toBe('{"q":1}');
      expect((await vault.verify()).ok).toBe(true);
      await vault.close();
      await own.close();
    });

    it('detects a payload whose ciphertext was altered', async () => {
      const { store: own } = await driver.fresh();
      const vault = await openTestLog(own);
      const index = await vault.append({ type: 'x', agent: 'a' }, { payloads: { p: 'secret' } });
      const digest = (
        JSON.parse((await vault.entries(index, 1))[0]!.entry) as { payloads: { p: string } }
      ).payloads.p;
      const row = await own.db.selectFrom('audit_payloads').selectAll().executeTakeFirstOrThrow();
      const altered = Buffer.from(row.ciphertext);
      altered[20]! ^= 1;
      await own.db.updateTable('audit_payloads').set({ ciphertext: altered }).execute();
      expect((await rejection(vault.readPayload(digest))).code).toBe('payload-corrupt');
      await vault.close();
      await own.close();
    });

    it('rejects appends after close with shutting-down', async () => {
      const { store: own } = await driver.fresh();
      const closing = await openTestLog(own);
      const pending = closing.append({ type: 'before-close' });
      await closing.close();
      expect(await pending).toBe(0);
      expect((await rejection(closing.append({ type: 'after-close' }))).code).toBe('shutting-down');
      await own.close();
    });

    function rootFromLog(size: number): Uint8Array {
      const root = rootAt.get(size);
      if (root !== undefined) return root;
      throw new Error(`no checkpoint kept for size ${size}`);
    }
  });
}
