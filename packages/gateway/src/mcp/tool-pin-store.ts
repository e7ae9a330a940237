// Persistence of tool pins (table mcp_tool_pins). Every write that depends on what was read is a
// compare-and-set on (digest, status), and a new tool is an insert that does nothing on conflict,
// so gateway processes sharing one store never duplicate a tool or overwrite an approval.
import type { Kysely } from 'kysely';
import type { Database, ToolPinRow, ToolPinStatus } from '../store/schema.js';

/** What `review` needs of a row: everything but the (possibly large) definition text. */
export type PinSummary = Omit<ToolPinRow, 'definition'>;

const SUMMARY_COLUMNS = [
  'server',
  'name',
  'shadow_key',
  'digest',
  'flags',
  'status',
  'approved_digest',
  'accepted_flags',
  'approved_by',
  'approved_at',
  'blocked_by',
  'blocked_at',
  'block_reason',
  'first_seen',
  'updated_at',
] as const;

/** The state a compare-and-set expects to find. */
export interface Expected {
  readonly digest: string;
  readonly status: ToolPinStatus;
}

/** Most keys in one `in (…)` list; well below both drivers' bound parameter limits. */
const IN_CHUNK = 500;

export class ToolPinStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Every pin whose name has one of these shadowing keys (the offered tools and their shadows). */
  async byShadowKeys(keys: readonly string[]): Promise<PinSummary[]> {
    const unique = [...new Set(keys)];
    const rows: PinSummary[] = [];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      rows.push(
        ...(await this.#db
          .selectFrom('mcp_tool_pins')
          .select(SUMMARY_COLUMNS)
          .where('shadow_key', 'in', chunk)
          .execute()),
      );
    }
    return rows;
  }

  async get(server: string, name: string): Promise<ToolPinRow | undefined> {
    return this.#db
      .selectFrom('mcp_tool_pins')
      .selectAll()
      .where('server', '=', server)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async summary(server: string, name: string): Promise<PinSummary | undefined> {
    return this.#db
      .selectFrom('mcp_tool_pins')
      .select(SUMMARY_COLUMNS)
      .where('server', '=', server)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async all(): Promise<PinSummary[]> {
    return this.#db.selectFrom('mcp_tool_pins').select(SUMMARY_COLUMNS).execute();
  }

  /** Inserts a tool seen for the first time; false when another process inserted it first. */
  async insert(row: ToolPinRow): Promise<boolean> {
    const result = await this.#db
      .insertInto('mcp_tool_pins')
      .values(row)
      .onConflict((oc) => oc.columns(['server', 'name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Removes a pin only if it still has the expected digest and status (undoing an insert). */
  async remove(server: string, name: string, expected: Expected): Promise<void> {
    await this.#db
      .deleteFrom('mcp_tool_pins')
      .where('server', '=', server)
      .where('name', '=', name)
      .where('digest', '=', expected.digest)
      .where('status', '=', expected.status)
      .execute();
  }

  /** Blocks a pin whatever its state: an operator's block always wins. False when there is none. */
  async block(
    server: string,
    name: string,
    set: Pick<ToolPinRow, 'blocked_by' | 'blocked_at' | 'block_reason' | 'updated_at'>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('mcp_tool_pins')
      .set({ ...set, status: 'blocked' })
      .where('server', '=', server)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Updates a pin only if it still has the expected digest and status; false otherwise. */
  async compareAndSet(
    server: string,
    name: string,
    expected: Expected,
    set: Partial<Omit<ToolPinRow, 'server' | 'name' | 'first_seen'>>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('mcp_tool_pins')
      .set(set)
      .where('server', '=', server)
      .where('name', '=', name)
      .where('digest', '=', expected.digest)
      .where('status', '=', expected.status)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
