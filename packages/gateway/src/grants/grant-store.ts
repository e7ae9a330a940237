// Grants in the store. Using a grant is one conditional UPDATE, so the use count is exact under
// any concurrency, across processes, on SQLite and PostgreSQL alike.
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type { Database, GrantRow, GrantStatus } from '../store/index.js';
import type { GrantPermission } from './grant-scope.js';

export interface Grant {
  readonly id: string;
  readonly agent: string;
  readonly mission: string;
  readonly kind: 'task' | 'elevation';
  readonly task: string;
  readonly purpose: string;
  readonly allow: readonly GrantPermission[];
  readonly labels: readonly string[];
  readonly notBefore: string;
  readonly expiresAt: string;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly budget: { readonly limit: number; readonly currency: string } | null;
  readonly status: GrantStatus;
  readonly requestedBy: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly decisionReason: string;
  readonly createdAt: string;
}

export class GrantStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: GrantRow): Promise<void> {
    await this.#db.insertInto('grants').values(row).execute();
  }

  /** Deletes a grant that never came into force (its request could not be recorded). */
  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('grants').where('id', '=', id).where('uses', '=', 0).execute();
  }

  async get(id: string): Promise<Grant> {
    const row = await this.#db
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('not-found', `no grant "${id}"`);
    return toGrant(row);
  }

  async list(filter: { agent?: string; status?: GrantStatus } = {}): Promise<Grant[]> {
    let query = this.#db.selectFrom('grants').selectAll();
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return (await query.orderBy('created_at', 'desc').limit(1000).execute()).map(toGrant);
  }

  /** Active grants of `agent` not expired at `now`, whatever their start and uses (for the cache). */
  async activeUnexpired(agent: string, now: string): Promise<Grant[]> {
    const rows = await this.#db
      .selectFrom('grants')
      .selectAll()
      .where('agent', '=', agent)
      .where('status', '=', 'active')
      .where('expires_at', '>', now)
      .execute();
    return rows.map(toGrant);
  }

  /** Adds uses counted elsewhere (grants without a use limit; see UseCounter). */
  async addUses(id: string, uses: number): Promise<void> {
    await this.#db
      .updateTable('grants')
      .set((eb) => ({ uses: eb('uses', '+', uses) }))
      .where('id', '=', id)
      .execute();
  }

  /**
   * Takes one use of the grant if, at this instant, it is active, in force and not used up.
   * MUST be a single statement: that is what makes the count exact under concurrency.
   */
  async consume(id: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('grants')
      .set((eb) => ({ uses: eb('uses', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where('status', '=', 'active')
      .where('not_before', '<=', now)
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Moves a grant from one status to another; false when it was not in `from` any more. */
  async transition(
    id: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    decision: { by: string; at: string; reason: string },
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('grants')
      .set({
        status: to,
        decided_by: decision.by,
        decided_at: decision.at,
        decision_reason: decision.reason,
        updated_at: decision.at,
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    agent: row.agent,
    mission: row.mission,
    kind: row.kind,
    task: row.task,
    purpose: row.purpose,
    allow: JSON.parse(row.allow) as GrantPermission[],
    labels: JSON.parse(row.labels) as string[],
    notBefore: row.not_before,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    budget:
      row.budget === null ? null : (JSON.parse(row.budget) as { limit: number; currency: string }),
    status: row.status,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    createdAt: row.created_at,
  };
}
