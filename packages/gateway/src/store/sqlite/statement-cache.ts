// Prepared statements kept by their SQL text: Kysely's SQLite driver prepares every query anew,
// and preparing costs more than running most of ours (a decision runs a handful). better-sqlite3
// statements are reusable with new parameters; SQLite re-prepares one by itself after a schema
// change. Nothing here streams rows (`iterate`), which a shared statement could not serve twice at
// once. Bounded: the least recently added statement goes first.
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const MAX_STATEMENTS = 1000;

export function withStatementCache(database: SqliteDatabase): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= MAX_STATEMENTS) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}
