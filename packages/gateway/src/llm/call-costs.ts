// Cost reports from the calls table: spending and tokens per agent, team or mission (and per model)
// since an instant. Sums are exact: costs are integers of nano-dollars.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/index.js';

export type CostGrouping = 'agent' | 'team' | 'mission' | 'model';

export interface CostLine {
  readonly key: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Nano-dollars; calls to models without a known price count as zero (see `unpriced`). */
  readonly costNano: number;
  /** Calls whose cost is unknown (no price for their model). */
  readonly unpriced: number;
}

const MAX_LINES = 10_000;

export async function costReport(
  db: Kysely<Database>,
  by: CostGrouping,
  since: string | undefined,
): Promise<CostLine[]> {
  let query = db
    .selectFrom('llm_calls')
    .select([
      `${by} as key`,
      sql<number>`count(*)`.as('calls'),
      sql<number>`coalesce(sum(input_tokens), 0)`.as('input'),
      sql<number>`coalesce(sum(output_tokens), 0)`.as('output'),
      sql<number>`coalesce(sum(cost_nano), 0)`.as('cost'),
      sql<number>`sum(case when cost_nano is null then 1 else 0 end)`.as('unpriced'),
    ])
    .groupBy(by)
    .orderBy(by)
    .limit(MAX_LINES);
  if (since !== undefined) query = query.where('started_at', '>=', since);
  const rows = await query.execute();
  return rows.map((row) => ({
    key: String(row.key),
    calls: Number(row.calls),
    inputTokens: Number(row.input),
    outputTokens: Number(row.output),
    costNano: Number(row.cost),
    unpriced: Number(row.unpriced),
  }));
}
