// The Store port's contract, run against every driver.
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ZtError } from '../src/errors.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

const OPERATOR = { name: 'op', roles: '[]', created_at: '2026-12-05T00:00:00.000Z' };

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`store contract: ${driver.name}`, () => {
    it('migrates a fresh store and reopens an existing one without change', async () => {
      const { store, reopen } = await driver.fresh();
      await store.db.insertInto('audit_entries').values({ idx: 0, entry: '{}' }).execute();
      await store.close();
      const again = await reopen();
      const rows = await again.db.selectFrom('audit_entries').selectAll().execute();
      expect(rows).toEqual([{ idx: 0, entry: '{}' }]);
      await again.close();
    });

    it('returns integers as numbers and binary columns byte for byte', async () => {
      const { store } = await driver.fresh();
      const hash = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 255) % 256);
      const big = 2 ** 52 + 3;
      await store.db.insertInto('audit_nodes').values({ level: 7, idx: big, hash }).execute();
      const row = await store.db.selectFrom('audit_nodes').selectAll().executeTakeFirstOrThrow();
      expect(row.idx).toBe(big);
      expect(row.level).toBe(7);
      expect(Buffer.from(row.hash).equals(Buffer.from(hash))).toBe(true);
      await store.close();
    });

    it('rolls back everything an exclusive transaction wrote when it throws', async () => {
      const { store } = await driver.fresh();
      const failure = new Error('boom');
      await expect(
        store.exclusive('audit-sequencer', async (trx) => {
          await trx.insertInto('audit_entries').values({ idx: 0, entry: 'a' }).execute();
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await store.db.selectFrom('audit_entries').selectAll().execute()).toEqual([]);
      await store.close();
    });

    it("a change one process announces moves that topic's token here and in every other process", async () => {
      const { store, reopen } = await driver.fresh();
      const other = await reopen();
      try {
        for (const topic of ['security', 'taint'] as const) {
          const mine = store.changeToken(topic);
          const theirs = other.changeToken(topic);
          // The other process commits, then announces.
          await other.db
            .insertInto('operators')
            .values({ ...OPERATOR, name: topic })
            .execute();
          await other.announceChange(topic);
          expect(other.changeToken(topic)).not.toBe(theirs);
          const until = Date.now() + 2000;
          while (store.changeToken(topic) === mine && Date.now() < until)
            await new Promise((resolve) => setTimeout(resolve, 5));
          expect(store.changeToken(topic)).not.toBe(mine);
        }
        // PostgreSQL notifies per topic: a taint change leaves the security caches alone. (SQLite
        // sees any commit of another process through data_version: both tokens move there.)
        if (driver.name === 'postgres') {
          const security = store.changeToken('security');
          await other.announceChange('taint');
          const taint = store.changeToken('taint');
          const until = Date.now() + 2000;
          while (store.changeToken('taint') === taint && Date.now() < until)
            await new Promise((resolve) => setTimeout(resolve, 5));
          expect(store.changeToken('security')).toBe(security);
          expect(store.changeToken()).toBe(security);
        }
      } finally {
        await other.close();
        await store.close();
      }
    });

    // better-sqlite3 waits for a lock synchronously, so two SQLite handles in one process would
    // block each other's event loop: there the second writer is another task on the same handle.
    // (Separate processes on one SQLite file are covered by the CLI tests.)
    it('serializes exclusive transactions across concurrent writers', async () => {
      const { store, reopen } = await driver.fresh();
      const other = driver.name === 'postgres' ? await reopen() : store;
      const increment = (s: typeof store) =>
        s.exclusive('audit-sequencer', async (trx) => {
          const row = await trx
            .selectFrom('audit_entries')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow();
          const n = Number(row.n);
          await new Promise((resolve) => setTimeout(resolve, 2));
          await trx
            .insertInto('audit_entries')
            .values({ idx: n, entry: String(n) })
            .execute();
        });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => increment(i % 2 === 0 ? store : other)),
      );
      const rows = await store.db
        .selectFrom('audit_entries')
        .select('idx')
        .orderBy('idx')
        .execute();
      expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      if (other !== store) await other.close();
      await store.close();
    });

    describe('audit batches', () => {
      const HASH = new Uint8Array(32).fill(7);
      const batchOf = (size: number, entries: string[]) => ({
        rows: {
          entries: entries.map((entry, i) => ({ idx: size + i, entry })),
          nodes: entries.map((_, i) => ({ level: 0, idx: size + i, hash: HASH })),
          payloads: [],
          head: {
            size: size + entries.length,
            root: HASH,
            checkpoint: `cp ${size + entries.length}`,
            updated_at: '2026-12-05T00:00:00.000Z',
          },
          keepCheckpoint: true,
        },
        result: size,
      });

      it('builds on the committed size and reads the nodes the plan needs', async () => {
        const { store } = await driver.fresh();
        const first = await store.appendAuditBatch({
          needs: () => [],
          build: (size) => batchOf(size, ['a', 'b']),
        });
        const seen: Uint8Array[][] = [];
        const second = await store.appendAuditBatch({
          needs: (size) => [{ level: 0, index: size - 1 }],
          build: (size, nodes) => {
            seen.push([...nodes]);
            return batchOf(size, ['c']);
          },
        });
        expect([first, second]).toEqual([0, 2]);
        expect(seen.map((nodes) => nodes.map((n) => Buffer.from(n).equals(HASH)))).toEqual([
          [true],
        ]);
        const entries = await store.db
          .selectFrom('audit_entries')
          .selectAll()
          .orderBy('idx')
          .execute();
        expect(entries).toEqual([
          { idx: 0, entry: 'a' },
          { idx: 1, entry: 'b' },
          { idx: 2, entry: 'c' },
        ]);
        const head = await store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
        expect([head.size, head.checkpoint]).toEqual([3, 'cp 3']);
        const history = await store.db.selectFrom('audit_checkpoints').select('size').execute();
        expect(history.map((h) => h.size).sort()).toEqual([2, 3]);
        await store.close();
      });

      it('writes nothing when the plan throws or a needed node is missing', async () => {
        const { store } = await driver.fresh();
        const failure = new Error('plan failed');
        await expect(
          store.appendAuditBatch({
            needs: () => [],
            build: () => {
              throw failure;
            },
          }),
        ).rejects.toBe(failure);
        await expect(
          store.appendAuditBatch({
            needs: () => [{ level: 3, index: 9 }],
            build: (size) => batchOf(size, ['x']),
          }),
        ).rejects.toMatchObject({ code: 'log-inconsistent' });
        expect(await store.db.selectFrom('audit_entries').selectAll().execute()).toEqual([]);
        expect(await store.db.selectFrom('audit_head').selectAll().execute()).toEqual([]);
        await store.close();
      });

      it('waits for a transaction in progress on the same store instead of joining it', async () => {
        const { store } = await driver.fresh();
        let release: () => void = () => undefined;
        let begun: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        const inside = new Promise<void>((resolve) => (begun = resolve));
        const failure = new Error('rolled back');
        const other = store.exclusive('audit-sequencer', async (trx) => {
          await trx.insertInto('operators').values(OPERATOR).execute();
          begun();
          await held;
          throw failure;
        });
        await inside;
        const batch = store.appendAuditBatch({
          needs: () => [],
          build: (size) => batchOf(size, ['kept']),
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        release();
        await expect(other).rejects.toBe(failure);
        expect(await batch).toBe(0);
        // The batch committed on its own: the other transaction's rollback did not take it along.
        expect(await store.db.selectFrom('audit_entries').select('entry').execute()).toEqual([
          { entry: 'kept' },
        ]);
        expect(await store.db.selectFrom('operators').selectAll().execute()).toEqual([]);
        await store.close();
      });
    });

    it('refuses a database written by a newer zt4ai', async () => {
      const { store, reopen } = await driver.fresh();
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01')`.execute(
        store.db,
      );
      await store.close();
      const error = await reopen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ZtError);
      expect((error as ZtError).code).toBe('store-schema-newer');
    });

    it('answers ping while open', async () => {
      const { store } = await driver.fresh();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
    });
  });
}
