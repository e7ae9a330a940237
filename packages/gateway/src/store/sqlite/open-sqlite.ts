// SQLite driver: one better-sqlite3 file in WAL mode with synchronous=FULL, so a commit is on disk
// before it resolves. Writers take BEGIN IMMEDIATE, which serializes them across processes.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { ZtError } from '../../errors.js';
import { runMigrations } from '../run-migrations.js';
import type { Database } from '../schema.js';
import type { ChangeTopic, Store } from '../store.js';
import { sqliteAuditBatch } from './sqlite-audit-batch.js';
import { withStatementCache } from './statement-cache.js';

const BUSY_TIMEOUT_MS = 10_000;
/** How stale a view of other processes' commits may be (see changeToken). */
const DATA_VERSION_READ_MS = 1;

export async function openSqliteStore(file: string): Promise<Store> {
  let native: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    native = new BetterSqlite3(file);
    chmodSync(file, 0o600); // entries may name agents and data; SQLite gives WAL files the same mode
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = FULL');
    native.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    native.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new ZtError('store-unavailable', `cannot open SQLite store ${file}`, { cause });
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(native) }),
  });
  try {
    await runMigrations(db as Kysely<unknown>, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const localChanges: Record<ChangeTopic, number> = { security: 0, taint: 0 };
  let dataVersion = '';
  let readAt = -Infinity;
  return {
    kind: 'sqlite',
    db,
    // data_version moves when another connection (another process) commits; our own commits are
    // counted locally by announceChange(), at once. Reading the pragma costs a few microseconds and
    // every decision asks several times, so it is read at most once per DATA_VERSION_READ_MS: a
    // commit by another process is seen at most that much later.
    changeToken: (topic = 'security') => {
      const now = performance.now();
      if (now - readAt >= DATA_VERSION_READ_MS) {
        dataVersion = String(native.pragma('data_version', { simple: true }));
        readAt = now;
      }
      return `${dataVersion}:${localChanges[topic]}`;
    },
    announceChange: async (topic = 'security') => {
      localChanges[topic] += 1;
    },
    exclusive: (_lock, work) =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (error) {
          if (native.inTransaction) await sql`rollback`.execute(conn);
          throw error;
        }
      }),
    appendAuditBatch: sqliteAuditBatch(native, (work) =>
      db.connection().execute(async () => work()),
    ),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
