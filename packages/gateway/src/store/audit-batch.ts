// The audit log's write path through the Store port (DESIGN §5: sequence → integrate → publish):
// one batch of entries, their tree nodes and payloads, and the new signed head, in one transaction
// that holds the sequencer lock across every process. The audit log decides what to write (plan);
// each driver decides how: PostgreSQL through Kysely (appendAuditBatchWithKysely, below), SQLite
// with prepared statements in one synchronous transaction (sqlite/sqlite-audit-batch.ts).
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type {
  AuditEntryRow,
  AuditHeadRow,
  AuditNodeRow,
  AuditPayloadRow,
  Database,
} from './schema.js';

/** A node of the tree: the root of the perfect subtree of 2^level leaves at position `index`. */
export interface NodeAt {
  readonly level: number;
  readonly index: number;
}

export interface AuditBatchRows {
  readonly entries: readonly AuditEntryRow[];
  readonly nodes: readonly AuditNodeRow[];
  readonly payloads: readonly AuditPayloadRow[];
  readonly head: Omit<AuditHeadRow, 'id'>;
  /** The new checkpoint also goes into the checkpoint history. */
  readonly keepCheckpoint: boolean;
}

/** What one batch writes, decided inside the transaction from the log's committed size. */
export interface AuditBatchPlan<T> {
  /** The stored nodes needed to extend a log of `size` entries (none when the caller has them). */
  needs(size: number): readonly NodeAt[];
  /** The rows to add to a log of `size` entries whose needed nodes are `nodes`, in order. */
  build(size: number, nodes: readonly Uint8Array[]): { rows: AuditBatchRows; result: T };
}

/** Rows per INSERT statement: keeps every statement under SQLite's and pg's parameter limits. */
const INSERT_CHUNK = 1000;
/** Node look-ups per query, for the same reason. */
const LOOKUP_CHUNK = 400;

/** The batch on a Kysely transaction that already holds the sequencer lock. */
export async function appendAuditBatchWithKysely<T>(
  trx: Kysely<Database>,
  plan: AuditBatchPlan<T>,
): Promise<T> {
  const head = await trx
    .selectFrom('audit_head')
    .select('size')
    .where('id', '=', 1)
    .executeTakeFirst();
  const size = head?.size ?? 0;
  const { rows, result } = plan.build(size, await readAuditNodes(trx, plan.needs(size)));
  await inChunks(rows.entries, (chunk) => trx.insertInto('audit_entries').values(chunk).execute());
  await inChunks(rows.nodes, (chunk) => trx.insertInto('audit_nodes').values(chunk).execute());
  await inChunks(rows.payloads, (chunk) =>
    trx.insertInto('audit_payloads').values(chunk).execute(),
  );
  await trx
    .insertInto('audit_head')
    .values({ id: 1, ...rows.head })
    .onConflict((oc) => oc.column('id').doUpdateSet(rows.head))
    .execute();
  if (rows.keepCheckpoint) {
    await trx
      .insertInto('audit_checkpoints')
      .values({
        size: rows.head.size,
        checkpoint: rows.head.checkpoint,
        created_at: rows.head.updated_at,
      })
      .onConflict((oc) => oc.column('size').doNothing())
      .execute();
  }
  return result;
}

/** Fetches the given nodes, in the given order; a node the store lacks means it is damaged. */
export async function readAuditNodes(
  db: Kysely<Database>,
  coordinates: readonly NodeAt[],
): Promise<Uint8Array[]> {
  const found = new Map<string, Uint8Array>();
  for (let start = 0; start < coordinates.length; start += LOOKUP_CHUNK) {
    const chunk = coordinates.slice(start, start + LOOKUP_CHUNK);
    const rows = await db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) =>
        eb.or(chunk.map((c) => eb.and([eb('level', '=', c.level), eb('idx', '=', c.index)]))),
      )
      .execute();
    for (const row of rows) found.set(nodeKey(row.level, row.idx), row.hash);
  }
  return coordinates.map((c) => found.get(nodeKey(c.level, c.index)) ?? missingNode(c));
}

/** The error for a tree node the store should hold and does not. */
export function missingNode(at: NodeAt): never {
  throw new ZtError('log-inconsistent', 'the audit log store is missing a tree node', {
    detail: { index: at.index * 2 ** at.level },
  });
}

const nodeKey = (level: number, index: number): string => `${level}:${index}`;

async function inChunks<R>(
  rows: readonly R[],
  write: (chunk: R[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await write(rows.slice(start, start + INSERT_CHUNK));
  }
}
