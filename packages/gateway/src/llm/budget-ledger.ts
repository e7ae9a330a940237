// Spending against budgets, in the store, exact under any concurrency and across processes on
// SQLite and PostgreSQL alike (DESIGN §7). A call reserves the most it can cost before it is sent:
// for each budget row one conditional UPDATE (`spent + reserved + amount <= limit`), all of a
// call's rows in one transaction, in a fixed order (no deadlocks between calls). PostgreSQL row
// locks and re-evaluation of the condition after a concurrent commit (READ COMMITTED), and
// SQLite's single writer, make the check and the increment one step. When the call ends its
// reservation is settled: the reservation goes, the real cost is added, with the call's row.
//
// A crash between reserve and settle leaves the reservation counted until its period ends: the
// budget errs on the side of spending less (fail closed).
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/index.js';
import type { BudgetLine } from './budget-lines.js';

export type LlmCallRow = Database['llm_calls'];

export interface Reservation {
  readonly lines: readonly BudgetLine[];
  readonly amountNano: number;
}

/** A finished call: its reservation, what it really cost, and its row. */
export interface Settlement {
  readonly reservation: Reservation;
  readonly costNano: number;
  readonly call: LlmCallRow;
}

/** Rows per INSERT: within SQLite's and PostgreSQL's parameter limits (21 columns a row). */
const INSERT_CHUNK = 400;

export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation }
  | { readonly ok: false; readonly line: BudgetLine };

/** Thrown inside the transaction to roll it back; never leaves this module. */
class Exceeded extends Error {
  constructor(readonly line: BudgetLine) {
    super('budget exceeded');
  }
}

export class BudgetLedger {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** Reserves `amountNano` on every line, or on none (the first line it would overdraw is named). */
  async reserve(lines: readonly BudgetLine[], amountNano: number): Promise<ReserveResult> {
    const reservation = { lines, amountNano };
    if (lines.length === 0) return { ok: true, reservation };
    const ordered = [...lines].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    const now = this.#now().toISOString();
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const line of ordered) {
          if (!(await reserveLine(trx, line, amountNano, now))) throw new Exceeded(line);
        }
      });
      return { ok: true, reservation };
    } catch (error) {
      if (error instanceof Exceeded) return { ok: false, line: error.line };
      throw error;
    }
  }

  /**
   * Replaces reservations by the real costs and records the calls, in one transaction (settlements
   * come in batches: one commit for many calls).
   */
  async settle(settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return;
    const now = this.#now().toISOString();
    await this.#db.transaction().execute(async (trx) => {
      for (const { reservation, costNano } of settlements) {
        for (const line of reservation.lines) {
          await trx
            .updateTable('llm_budget_usage')
            .set({
              reserved_nano: sql`reserved_nano - ${reservation.amountNano}`,
              spent_nano: sql`spent_nano + ${costNano}`,
              updated_at: now,
            })
            .where('scope', '=', line.scope)
            .where('subject', '=', line.subject)
            .where('period', '=', line.period)
            .where('period_start', '=', line.periodStart)
            .execute();
        }
      }
      for (let i = 0; i < settlements.length; i += INSERT_CHUNK) {
        const rows = settlements.slice(i, i + INSERT_CHUNK).map((s) => s.call);
        await trx.insertInto('llm_calls').values(rows).execute();
      }
    });
  }

  /** Gives a reservation back unused (the call was never sent). */
  async release(reservation: Reservation): Promise<void> {
    if (reservation.lines.length === 0) return;
    const now = this.#now().toISOString();
    await this.#db.transaction().execute(async (trx) => {
      for (const line of reservation.lines) {
        await trx
          .updateTable('llm_budget_usage')
          .set({ reserved_nano: sql`reserved_nano - ${reservation.amountNano}`, updated_at: now })
          .where('scope', '=', line.scope)
          .where('subject', '=', line.subject)
          .where('period', '=', line.period)
          .where('period_start', '=', line.periodStart)
          .execute();
      }
    });
  }

  /** Spent and reserved nano-dollars of one budget row (zero when nothing was charged yet). */
  async usage(line: Omit<BudgetLine, 'limitNano'>): Promise<{ spent: number; reserved: number }> {
    const row = await this.#db
      .selectFrom('llm_budget_usage')
      .select(['spent_nano', 'reserved_nano'])
      .where('scope', '=', line.scope)
      .where('subject', '=', line.subject)
      .where('period', '=', line.period)
      .where('period_start', '=', line.periodStart)
      .executeTakeFirst();
    return { spent: Number(row?.spent_nano ?? 0), reserved: Number(row?.reserved_nano ?? 0) };
  }
}

/**
 * One line: the conditional UPDATE; when it changes nothing, either the row does not exist yet
 * (create it, try again) or the amount does not fit (false).
 */
async function reserveLine(
  trx: Kysely<Database>,
  line: BudgetLine,
  amountNano: number,
  now: string,
): Promise<boolean> {
  const update = (): Promise<{ numUpdatedRows: bigint }> =>
    trx
      .updateTable('llm_budget_usage')
      .set({ reserved_nano: sql`reserved_nano + ${amountNano}`, updated_at: now })
      .where('scope', '=', line.scope)
      .where('subject', '=', line.subject)
      .where('period', '=', line.period)
      .where('period_start', '=', line.periodStart)
      .where(sql<boolean>`spent_nano + reserved_nano + ${amountNano} <= ${line.limitNano}`)
      .executeTakeFirst();
  if ((await update()).numUpdatedRows === 1n) return true;
  const created = await trx
    .insertInto('llm_budget_usage')
    .values({
      scope: line.scope,
      subject: line.subject,
      period: line.period,
      period_start: line.periodStart,
      spent_nano: 0,
      reserved_nano: 0,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.columns(['scope', 'subject', 'period', 'period_start']).doNothing(),
    )
    .executeTakeFirst();
  if ((created.numInsertedOrUpdatedRows ?? 0n) === 0n) return false;
  return (await update()).numUpdatedRows === 1n;
}

function keyOf(line: BudgetLine): string {
  return `${line.scope}\u0000${line.subject}\u0000${line.period}\u0000${line.periodStart}`;
}
