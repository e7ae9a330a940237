// The audit batch (store/audit-batch.ts) on SQLite: prepared statements in one synchronous
// BEGIN IMMEDIATE transaction. Nothing else runs on the event loop while it does, and it costs a
// third of the same statements through the query builder (each statement an await), which matters
// because an enforcement point waits for its decision's batch before it acts.
//
// It runs holding the query builder's one connection, so it never starts inside a transaction the
// builder has open; better-sqlite3 would otherwise nest it as a savepoint of that transaction.
import type BetterSqlite3 from 'better-sqlite3';
import { ZtError } from '../../errors.js';
import { type AuditBatchPlan, missingNode } from '../audit-batch.js';

type Run = <T>(work: () => T) => Promise<T>;

export function sqliteAuditBatch(
  native: BetterSqlite3.Database,
  holdingConnection: Run,
): <T>(plan: AuditBatchPlan<T>) => Promise<T> {
  let statements: Statements | undefined;
  return (plan) =>
    holdingConnection(() => {
      if (native.inTransaction)
        throw new ZtError('store-unavailable', 'the audit batch found a transaction open');
      statements ??= prepare(native);
      const write = statements;
      return native.transaction(() => appendBatch(write, plan)).immediate();
    });
}

interface Statements {
  readonly headSize: BetterSqlite3.Statement<[], { size: number }>;
  readonly node: BetterSqlite3.Statement<[number, number], { hash: Uint8Array }>;
  readonly entry: BetterSqlite3.Statement<[number, string]>;
  readonly treeNode: BetterSqlite3.Statement<[number, number, Uint8Array]>;
  readonly payload: BetterSqlite3.Statement<[string, string, Uint8Array, string, string | null]>;
  readonly head: BetterSqlite3.Statement<[number, Uint8Array, string, string]>;
  readonly checkpoint: BetterSqlite3.Statement<[number, string, string]>;
}

function prepare(native: BetterSqlite3.Database): Statements {
  return {
    headSize: native.prepare('select size from audit_head where id = 1'),
    node: native.prepare('select hash from audit_nodes where level = ? and idx = ?'),
    entry: native.prepare('insert into audit_entries (idx, entry) values (?, ?)'),
    treeNode: native.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)'),
    payload: native.prepare(
      `insert into audit_payloads (digest, agent, ciphertext, created_at, key_id)
       values (?, ?, ?, ?, ?)`,
    ),
    head: native.prepare(
      `insert into audit_head (id, size, root, checkpoint, updated_at) values (1, ?, ?, ?, ?)
       on conflict (id) do update set size = excluded.size, root = excluded.root,
       checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
    ),
    checkpoint: native.prepare(
      `insert into audit_checkpoints (size, checkpoint, created_at) values (?, ?, ?)
       on conflict (size) do nothing`,
    ),
  };
}

function appendBatch<T>(s: Statements, plan: AuditBatchPlan<T>): T {
  const size = s.headSize.get()?.size ?? 0;
  const nodes = plan
    .needs(size)
    .map((at) => s.node.get(at.level, at.index)?.hash ?? missingNode(at));
  const { rows, result } = plan.build(size, nodes);
  for (const e of rows.entries) s.entry.run(e.idx, e.entry);
  for (const n of rows.nodes) s.treeNode.run(n.level, n.idx, n.hash);
  for (const p of rows.payloads)
    s.payload.run(p.digest, p.agent, p.ciphertext, p.created_at, p.key_id);
  const head = rows.head;
  s.head.run(head.size, head.root, head.checkpoint, head.updated_at);
  if (rows.keepCheckpoint) s.checkpoint.run(head.size, head.checkpoint, head.updated_at);
  return result;
}
