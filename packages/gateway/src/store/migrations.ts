// Versioned schema migrations, applied in order by Kysely's Migrator on both drivers.
// Append new migrations; never edit one that has shipped.
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { StoreKind } from './store.js';

type Binary = 'blob' | 'bytea';

function auditLog(binary: Binary): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_entries')
        .addColumn('idx', 'bigint', (c) => c.primaryKey())
        .addColumn('entry', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', binary, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
        .execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('root', binary, (c) => c.notNull())
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('size', 'bigint', (c) => c.primaryKey())
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_payloads')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('ciphertext', binary, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_agent_keys')
        .addColumn('agent', 'text', (c) => c.primaryKey())
        .addColumn('wrapped_key', binary, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/** All migrations for a driver, keyed by their ordered names. */
export function migrationProvider(kind: StoreKind): MigrationProvider {
  const binary: Binary = kind === 'sqlite' ? 'blob' : 'bytea';
  return {
    getMigrations: () => Promise.resolve({ '0001_audit_log': auditLog(binary) }),
  };
}
