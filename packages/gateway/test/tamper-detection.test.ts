// Edits, deletes, reorders and inserts rows directly in the store; verify must name the first bad
// index each time, on every driver.
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogReport } from '../src/audit/index.js';
import type { Database } from '../src/store/index.js';
import { event, openTestLog } from './support/audit.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

const SIZE = 40;

interface Tamper {
  readonly name: string;
  readonly firstBadIndex: number;
  readonly reason: RegExp;
  apply(db: Kysely<Database>): Promise<void>;
}

const entryAt = async (db: Kysely<Database>, idx: number): Promise<string> =>
  (
    await db
      .selectFrom('audit_entries')
      .select('entry')
      .where('idx', '=', idx)
      .executeTakeFirstOrThrow()
  ).entry;

const TAMPERS: readonly Tamper[] = [
  {
    name: 'edits an entry',
    firstBadIndex: 17,
    reason: /tree node 0\/17 does not match/,
    apply: async (db) => {
      const edited = (await entryAt(db, 17)).replace('"n":17', '"n":71');
      await db.updateTable('audit_entries').set({ entry: edited }).where('idx', '=', 17).execute();
    },
  },
  {
    name: 'edits an entry and its leaf hash together',
    firstBadIndex: 16,
    reason: /tree node 1\/8 does not match/,
    apply: async (db) => {
      const { leafHash } = await import('@zt4ai/verify');
      const edited = (await entryAt(db, 17)).replace('"n":17', '"n":71');
      await db.updateTable('audit_entries').set({ entry: edited }).where('idx', '=', 17).execute();
      const hash = leafHash(Buffer.from(edited, 'utf8'));
      await db
        .updateTable('audit_nodes')
        .set({ hash })
        .where('level', '=', 0)
        .where('idx', '=', 17)
        .execute();
    },
  },
  {
    name: 'deletes an entry',
    firstBadIndex: 23,
    reason: /entry is missing/,
    apply: async (db) => {
      await db.deleteFrom('audit_entries').where('idx', '=', 23).execute();
    },
  },
  {
    name: 'deletes the last entry',
    firstBadIndex: SIZE - 1,
    reason: /entry is missing/,
    apply: async (db) => {
      await db
        .deleteFrom('audit_entries')
        .where('idx', '=', SIZE - 1)
        .execute();
    },
  },
  {
    name: 'reorders two entries',
    firstBadIndex: 10,
    reason: /not the one sequenced at this index/,
    apply: async (db) => {
      const [a, b] = [await entryAt(db, 10), await entryAt(db, 12)];
      await db.updateTable('audit_entries').set({ entry: b }).where('idx', '=', 10).execute();
      await db.updateTable('audit_entries').set({ entry: a }).where('idx', '=', 12).execute();
    },
  },
  {
    name: 'inserts an entry in the middle, shifting the rest',
    firstBadIndex: 20,
    reason: /not the one sequenced at this index|does not match/,
    apply: async (db) => {
      for (let idx = SIZE - 1; idx >= 20; idx--) {
        await db
          .updateTable('audit_entries')
          .set({ idx: idx + 1 })
          .where('idx', '=', idx)
          .execute();
      }
      const forged = (await entryAt(db, 19)).replace('"index":19', '"index":20');
      await db.insertInto('audit_entries').values({ idx: 20, entry: forged }).execute();
    },
  },
  {
    name: 'appends an entry past the signed tree',
    firstBadIndex: SIZE,
    reason: /not covered by any signed tree/,
    apply: async (db) => {
      await db
        .insertInto('audit_entries')
        .values({ idx: SIZE, entry: `{"index":${SIZE},"type":"forged"}` })
        .execute();
    },
  },
  {
    name: 'alters a stored tree node',
    firstBadIndex: 24,
    reason: /tree node 3\/3 does not match/,
    apply: async (db) => {
      await db
        .updateTable('audit_nodes')
        .set({ hash: new Uint8Array(32).fill(7) })
        .where('level', '=', 3)
        .where('idx', '=', 3)
        .execute();
    },
  },
  {
    name: 'deletes a stored tree node',
    firstBadIndex: 8,
    reason: /tree node 2\/2 is missing/,
    apply: async (db) => {
      await db.deleteFrom('audit_nodes').where('level', '=', 2).where('idx', '=', 2).execute();
    },
  },
  {
    name: 'rewrites the signed head checkpoint',
    firstBadIndex: SIZE - 1,
    reason: /not validly signed/,
    apply: async (db) => {
      const head = await db.selectFrom('audit_head').select('checkpoint').executeTakeFirstOrThrow();
      const lines = head.checkpoint.split('\n');
      lines[2] = Buffer.alloc(32, 1).toString('base64');
      await db
        .updateTable('audit_head')
        .set({ checkpoint: lines.join('\n') })
        .execute();
    },
  },
];

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`tamper detection: ${driver.name}`, () => {
    async function tamperedReport(tamper?: Tamper): Promise<LogReport> {
      const { store } = await driver.fresh();
      const log = await openTestLog(store);
      for (let i = 0; i < SIZE; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, j) => log.append(event(i + j))));
      }
      await tamper?.apply(store.db);
      const report = await log.verify();
      await log.close();
      await store.close();
      return report;
    }

    it('passes an untouched log', async () => {
      expect(await tamperedReport()).toEqual({ ok: true, size: SIZE, checkpoints: SIZE / 8 });
    });

    for (const tamper of TAMPERS) {
      it(`names the first bad index when someone ${tamper.name}`, async () => {
        const report = await tamperedReport(tamper);
        expect(report.ok).toBe(false);
        if (report.ok) return;
        expect(report.firstBadIndex).toBe(tamper.firstBadIndex);
        expect(report.reason).toMatch(tamper.reason);
      });
    }
  });
}
