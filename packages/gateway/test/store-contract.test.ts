// The Store port's contract, run against every driver.
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ZtError } from '../src/errors.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

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
