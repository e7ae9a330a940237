// Once per test run: a run id that names every PostgreSQL schema the run's tests make, and, after
// the last test file, the removal of those schemas. Dropping a schema while another test file opens
// a store would break that store's migration: the query builder's introspection reads every schema
// of the database, and a schema dropped under it is an error.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const RUN_ENV = 'ZT4AI_TEST_RUN';

export function setup(): () => Promise<void> {
  const run = randomBytes(4).toString('hex');
  process.env[RUN_ENV] = run;
  return () => dropSchemasOf(run);
}

async function dropSchemasOf(run: string): Promise<void> {
  const url = process.env.ZT4AI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return; // no server: the PostgreSQL tests were skipped, nothing to drop
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      'select nspname as name from pg_namespace where nspname like $1',
      [`zt4ai_test_${run}_%`],
    );
    for (const { name } of rows) await client.query(`drop schema if exists ${name} cascade`);
  } finally {
    await client.end();
  }
}
