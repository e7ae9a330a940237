// Brings a store's schema up to date; refuses a database written by a newer zt4ai.
import { DEFAULT_MIGRATION_TABLE, type Kysely, Migrator, sql } from 'kysely';
import { ZtError } from '../errors.js';
import { migrationProvider } from './migrations.js';
import type { StoreKind } from './store.js';

/**
 * `schema` names where the migration bookkeeping lives on PostgreSQL; without it Kysely would
 * see the bookkeeping tables of any other schema in the database as its own.
 */
export async function runMigrations(
  db: Kysely<unknown>,
  kind: StoreKind,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(kind),
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const known = Object.keys(await migrationProvider(kind).getMigrations());
  const applied = await appliedMigrations(db, schema);
  if (failed === undefined && applied.some((name) => !known.includes(name))) {
    throw new ZtError('store-schema-newer', 'the database was written by a newer zt4ai', {
      cause: error,
    });
  }
  throw new ZtError('store-unavailable', `schema migration ${failed ?? ''} failed`.trim(), {
    cause: error,
  });
}

async function appliedMigrations(
  db: Kysely<unknown>,
  schema: string | undefined,
): Promise<string[]> {
  const table =
    schema === undefined
      ? sql.table(DEFAULT_MIGRATION_TABLE)
      : sql.table(`${schema}.${DEFAULT_MIGRATION_TABLE}`);
  try {
    const result = await sql<{ name: string }>`select name from ${table}`.execute(db);
    return result.rows.map((row) => row.name);
  } catch {
    return [];
  }
}
