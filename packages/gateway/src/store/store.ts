// The Store port: what every component may assume of persistence, whichever driver is behind it.
import type { Kysely } from 'kysely';
import type { AuditBatchPlan } from './audit-batch.js';
import type { Database } from './schema.js';

export type StoreKind = 'sqlite' | 'postgres';

/**
 * What a change token follows: `security` state (agent status, revocations, keys, grants, pins) or
 * the agents' `taint` (mcp/shared-taint.ts), which changes far more often and must not make every
 * security cache reload.
 */
export type ChangeTopic = 'security' | 'taint';

/** Named cross-process locks. Each maps to one advisory lock id on PostgreSQL. */
export type StoreLock = 'audit-sequencer' | 'policy-bundle' | 'mcp-taint';

export interface Store {
  readonly kind: StoreKind;
  /** Query builder for reads and single-statement writes. */
  readonly db: Kysely<Database>;
  /**
   * Runs `work` in one transaction that holds `lock` exclusively across every process sharing the
   * store. MUST commit durably before resolving, and MUST roll back everything if `work` throws.
   */
  exclusive<T>(lock: StoreLock, work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Writes one audit batch holding the `audit-sequencer` lock: reads the log's size, builds the rows
   * with `plan` and writes them in one transaction. MUST commit durably before resolving, and MUST
   * write nothing if anything (the plan included) throws.
   */
  appendAuditBatch<T>(plan: AuditBatchPlan<T>): Promise<T>;
  /**
   * A cheap, synchronous token that changes whenever the state of `topic` (default `security`) may
   * have changed in any process sharing the store. Caches compare it on every use.
   */
  changeToken(topic?: ChangeTopic): string;
  /** Tells every process sharing the store that `topic` (default `security`) changed, after commit. */
  announceChange(topic?: ChangeTopic): Promise<void>;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  /** Waits for in-flight work and releases connections and file handles. */
  close(): Promise<void>;
}
