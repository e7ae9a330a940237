// PostgreSQL driver: a pg pool behind Kysely. Cross-process writers serialize on transaction-scoped
// advisory locks, so several gateway processes can share one database (DESIGN §7).
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ZtError } from '../../errors.js';
import { appendAuditBatchWithKysely } from '../audit-batch.js';
import { runMigrations } from '../run-migrations.js';
import type { Database } from '../schema.js';
import type { ChangeTopic, Store, StoreLock } from '../store.js';

/** Advisory lock ids: stable numbers, one per named lock. */
const LOCK_IDS: Record<StoreLock, number> = {
  'audit-sequencer': 0x7a74_0001,
  'policy-bundle': 0x7a74_0002,
  'mcp-taint': 0x7a74_0003,
};
const INT8_OID = 20;
const POOL_SIZE = 10;
const RECONNECT_MS = 1000;
const HEARTBEAT_MS = 5000;
const HEARTBEAT_TIMEOUT_MS = 3000;

export interface PostgresStoreOptions {
  /** Schema to create and use (tests use a fresh one per run); defaults to the server's search_path. */
  schema?: string;
}

export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new TypeError('schema must be a lower-case SQL identifier');
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: 10_000,
    types: { getTypeParser: typeParser },
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next use instead
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let changes: ChangeListener;
  try {
    if (options.schema !== undefined) {
      await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
    }
    const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    const schema = current.rows[0]?.schema;
    if (schema === undefined)
      throw new ZtError('store-unavailable', 'no schema to create tables in');
    await runMigrations(db as Kysely<unknown>, 'postgres', schema);
    changes = await listenForChanges(url, options.schema);
  } catch (error) {
    await db.destroy();
    if (error instanceof ZtError) throw error;
    throw new ZtError('store-unavailable', 'cannot open the PostgreSQL store', { cause: error });
  }
  const exclusive: Store['exclusive'] = (lock, work) =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${LOCK_IDS[lock]})`.execute(trx);
      return work(trx);
    });
  return {
    kind: 'postgres',
    db,
    changeToken: (topic = 'security') => changes.token(topic),
    announceChange: async (topic = 'security') => {
      changes.bump(topic);
      await sql`select pg_notify(${changes.channels[topic]}, '')`.execute(db);
    },
    exclusive,
    appendAuditBatch: (plan) =>
      exclusive('audit-sequencer', (trx) => appendAuditBatchWithKysely(trx, plan)),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}

interface ChangeListener {
  readonly channels: Readonly<Record<ChangeTopic, string>>;
  token(topic: ChangeTopic): string;
  bump(topic: ChangeTopic): void;
  close(): Promise<void>;
}

/**
 * LISTENs on one dedicated connection for change notifications from other processes, one channel
 * per topic. While that connection is down nothing can be known, so every token changes on every
 * read (every cache reloads: slower, never stale) until it is back.
 */
async function listenForChanges(url: string, schema: string | undefined): Promise<ChangeListener> {
  const suffix = schema ?? 'default';
  const channels: Record<ChangeTopic, string> = {
    security: `zt4ai_changes_${suffix}`,
    taint: `zt4ai_taint_${suffix}`,
  };
  const counters: Record<ChangeTopic, number> = { security: 0, taint: 0 };
  const topicOf = new Map(Object.entries(channels).map(([topic, channel]) => [channel, topic]));
  let connected = false;
  let closed = false;
  let client: pg.Client | undefined;
  const bumpAll = (): void => {
    counters.security += 1;
    counters.taint += 1;
  };
  const down = (): void => {
    connected = false;
    bumpAll();
    const lost = client;
    client = undefined;
    void lost?.end().catch(() => undefined);
    if (!closed) setTimeout(reconnect, RECONNECT_MS).unref();
  };
  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    next.on('notification', (message) => {
      const topic = topicOf.get(message.channel) as ChangeTopic | undefined;
      if (topic === undefined) bumpAll();
      else counters[topic] += 1;
    });
    next.on('error', () => {
      if (client === next) down();
    });
    await next.connect();
    for (const channel of Object.values(channels)) await next.query(`listen "${channel}"`);
    client = next;
    connected = true;
    bumpAll();
  };
  // Retries until the listener is back; until then the token moves on every read.
  const reconnect = (): void => {
    if (closed || client !== undefined) return;
    connect().catch(() => {
      if (!closed) setTimeout(reconnect, RECONNECT_MS).unref();
    });
  };
  // A half-open connection raises no error: a heartbeat query that does not come back in time
  // counts as a lost listener.
  const heartbeat = setInterval(() => {
    const current = client;
    if (current === undefined) return;
    const timeout = setTimeout(() => {
      if (client === current) down();
    }, HEARTBEAT_TIMEOUT_MS).unref();
    current
      .query('select 1')
      .catch(() => {
        if (client === current) down();
      })
      .finally(() => clearTimeout(timeout));
  }, HEARTBEAT_MS).unref();
  await connect();
  return {
    channels,
    token: (topic) => (connected ? `pg:${counters[topic]}` : `pg:down:${(counters[topic] += 1)}`),
    bump: (topic) => {
      counters[topic] += 1;
    },
    close: async () => {
      closed = true;
      clearInterval(heartbeat);
      await client?.end().catch(() => undefined);
    },
  };
}

/** int8 columns (indexes, sizes) come back as numbers; they stay below 2^53 by construction. */
function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}
