// Read queries of the governance center over the store: the fleet in one pass (agents with their
// approved and pending profiles and missions), pending approvals, and costs over time. A fixed number
// of queries per request, whatever the fleet's size.
import { type Kysely, sql } from 'kysely';
import type { Database, GrantRow } from '../store/index.js';

export interface FleetAgent {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly team: string;
  readonly status: string;
  readonly createdAt: string;
  readonly mission: { readonly id: string; readonly name: string } | undefined;
  readonly profile:
    { readonly version: number; readonly model: string; readonly promptDigest: string } | undefined;
  /** A pending profile: the agent presented a changed model, prompt or mission (drift). */
  readonly drift:
    { readonly version: number; readonly model: string; readonly since: string } | undefined;
  readonly grants: { readonly active: number; readonly pending: number };
}

export async function fleet(db: Kysely<Database>): Promise<FleetAgent[]> {
  const [agents, profiles, missions, grants] = await Promise.all([
    db.selectFrom('identity_agents').selectAll().orderBy('name').execute(),
    db
      .selectFrom('identity_profiles')
      .selectAll()
      .where('status', 'in', ['approved', 'pending'])
      .execute(),
    db.selectFrom('identity_missions').select(['id', 'name']).distinct().execute(),
    db
      .selectFrom('grants')
      .select(['agent', 'status', sql<number>`count(*)`.as('n')])
      .where('status', 'in', ['active', 'pending'])
      .groupBy(['agent', 'status'])
      .execute(),
  ]);
  const missionNames = new Map(missions.map((m) => [m.id, m.name]));
  const approved = new Map<string, (typeof profiles)[number]>();
  const pending = new Map<string, (typeof profiles)[number]>();
  for (const p of profiles) (p.status === 'approved' ? approved : pending).set(p.agent, p);
  const grantCounts = new Map<string, { active: number; pending: number }>();
  for (const g of grants) {
    const counts = grantCounts.get(g.agent) ?? { active: 0, pending: 0 };
    counts[g.status as 'active' | 'pending'] = Number(g.n);
    grantCounts.set(g.agent, counts);
  }
  return agents.map((a) => {
    const profile = approved.get(a.id);
    const proposal = pending.get(a.id);
    const missionId = (profile ?? proposal)?.mission_id;
    return {
      id: a.id,
      name: a.name,
      owner: a.owner,
      team: a.team,
      status: a.status,
      createdAt: a.created_at,
      mission:
        missionId === undefined
          ? undefined
          : { id: missionId, name: missionNames.get(missionId) ?? missionId },
      profile:
        profile === undefined
          ? undefined
          : {
              version: profile.version,
              model: modelName(profile.model),
              promptDigest: profile.prompt_digest,
            },
      drift:
        proposal === undefined || profile === undefined
          ? undefined
          : {
              version: proposal.version,
              model: modelName(proposal.model),
              since: proposal.created_at,
            },
      grants: grantCounts.get(a.id) ?? { active: 0, pending: 0 },
    };
  });
}

/** Grants waiting for an approver, oldest first. */
export function pendingGrants(db: Kysely<Database>, limit: number): Promise<GrantRow[]> {
  return db
    .selectFrom('grants')
    .selectAll()
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

export type CostSubject = 'agent' | 'team' | 'mission';

export interface CostPoint {
  readonly key: string;
  /** Start of the hour (ISO, `YYYY-MM-DDTHH`). */
  readonly hour: string;
  readonly costNano: number;
  readonly calls: number;
  readonly tokens: number;
}

/** Spending per `by` and hour since `since` (ISO instant). */
export async function costsOverTime(
  db: Kysely<Database>,
  by: CostSubject,
  since: string,
  subject?: string,
): Promise<CostPoint[]> {
  let query = db
    .selectFrom('llm_calls')
    .select([
      `${by} as key`,
      sql<string>`substr(started_at, 1, 13)`.as('hour'),
      sql<number>`coalesce(sum(cost_nano), 0)`.as('cost'),
      sql<number>`count(*)`.as('calls'),
      sql<number>`coalesce(sum(input_tokens + output_tokens), 0)`.as('tokens'),
    ])
    .where('started_at', '>=', since)
    .groupBy([by, sql`substr(started_at, 1, 13)`])
    .orderBy(sql`substr(started_at, 1, 13)`)
    .limit(50_000);
  if (subject !== undefined) query = query.where(by, '=', subject);
  const rows = await query.execute();
  return rows.map((r) => ({
    key: String(r.key),
    hour: String(r.hour),
    costNano: Number(r.cost),
    calls: Number(r.calls),
    tokens: Number(r.tokens),
  }));
}

/** Spending recorded against each budget and period. */
export function budgetUsage(db: Kysely<Database>): Promise<Database['llm_budget_usage'][]> {
  return db
    .selectFrom('llm_budget_usage')
    .selectAll()
    .orderBy('updated_at', 'desc')
    .limit(1000)
    .execute();
}

function modelName(json: string): string {
  try {
    const model = JSON.parse(json) as { provider?: string; name?: string; version?: string };
    return `${model.provider ?? ''}/${model.name ?? ''}@${model.version ?? ''}`;
  } catch {
    return '';
  }
}
