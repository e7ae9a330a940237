// The store drivers every contract test runs against: a fresh SQLite file, and a fresh schema on
// the PostgreSQL server. Without a reachable server, PostgreSQL suites are skipped with the reason
// printed, except under CI, where the server must be there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.js';

export const POSTGRES_URL =
  process.env.ZT4AI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Driver {
  readonly name: 'sqlite' | 'postgres';
  /** Why the driver cannot run here, or undefined when it can. */
  readonly unavailable: string | undefined;
  /** Opens a fresh, empty store; `reopen` opens a second handle on the same data. */
  fresh(): Promise<{ store: Store; reopen: () => Promise<Store>; location: Location }>;
}

export type Location = { kind: 'sqlite'; file: string } | { kind: 'postgres'; schema: string };

const cleanups: Array<() => Promise<void>> = [];

/** Removes every temp directory the tests made (schemas go with the run: global-setup.ts). Call from afterAll. */
export async function cleanupStores(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL not reachable at ${POSTGRES_URL}: ${(error as Error).message}`;
    if (process.env.CI === 'true')
      throw new Error(`${reason} (required under CI)`, { cause: error });
    console.warn(`skipping PostgreSQL tests: ${reason}`);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function tempDir(prefix = 'zt4ai-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new schema name of this test run; the run's global teardown drops them all (global-setup.ts). */
export function freshSchema(): string {
  const run = process.env.ZT4AI_TEST_RUN ?? 'adhoc';
  return `zt4ai_test_${run}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

const sqlite: Driver = {
  name: 'sqlite',
  unavailable: undefined,
  async fresh() {
    const file = join(tempDir(), 'zt4ai.db');
    const open = (): Promise<Store> => openSqliteStore(file);
    return { store: await open(), reopen: open, location: { kind: 'sqlite', file } };
  },
};

const postgres: Driver = {
  name: 'postgres',
  unavailable: await postgresUnavailable(),
  async fresh() {
    const schema = freshSchema();
    const open = (): Promise<Store> => openPostgresStore(POSTGRES_URL, { schema });
    return { store: await open(), reopen: open, location: { kind: 'postgres', schema } };
  },
};

export const DRIVERS: readonly Driver[] = [sqlite, postgres];
