// The fleet as operators see it: the overview, agents and one agent's page, live activity, costs
// and budgets. Read-only (fleet:read).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import type { ActivityFeed } from './activity-feed.js';
import {
  budgetUsage,
  costsOverTime,
  type CostSubject,
  fleet,
  pendingGrants,
} from './fleet-queries.js';
import { integerParam } from './query-params.js';
import { operatorOnly } from './route-access.js';

export interface FleetRouteDeps {
  readonly store: Store;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  readonly feed: ActivityFeed;
  /** Configured LLM budgets ({scope, subject, period, limitUsd}). */
  readonly budgets: readonly unknown[];
  readonly now: () => Date;
}

const costQuery = z.strictObject({
  by: z.enum(['agent', 'team', 'mission']).default('agent'),
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
  subject: z.string().min(1).max(200).optional(),
});
const TOP = 10;
const HOUR_MS = 3_600_000;

export function registerFleetRoutes(app: FastifyInstance, deps: FleetRouteDeps): void {
  const read = operatorOnly('fleet:read');
  app.get('/api/overview', read, async () => {
    const agents = await fleet(deps.store.db);
    const byStatus: Record<string, number> = {};
    for (const agent of agents) byStatus[agent.status] = (byStatus[agent.status] ?? 0) + 1;
    const now = deps.now();
    const since = new Date(now.getTime() - 24 * HOUR_MS).toISOString();
    const [costs, pending] = await Promise.all([
      costsOverTime(deps.store.db, 'agent', since),
      pendingGrants(deps.store.db, 20),
    ]);
    return {
      agents: {
        total: agents.length,
        byStatus,
        drifting: agents.filter((a) => a.drift !== undefined).length,
      },
      activity: deps.feed.recent(50),
      denials: deps.feed.denials(20),
      perMinute: deps.feed.perMinute(now),
      topCosts: topCosts(costs, agents),
      approvals: { pending: pending.map(grantView) },
    };
  });
  app.get('/api/agents', read, async () => {
    const seen = deps.feed.summaries();
    return {
      agents: (await fleet(deps.store.db)).map((a) => ({ ...a, activity: seen.get(a.id) })),
    };
  });
  app.get('/api/agents/:id', read, async (request) => {
    const { id } = request.params as { id: string };
    const agent = await deps.identity.agents.get(id);
    const [profiles, grants] = await Promise.all([
      deps.identity.agents.profiles(agent.id),
      deps.grants.grants.list({ agent: agent.id }),
    ]);
    const approved = profiles.find((p) => p.status === 'approved');
    const mission =
      approved === undefined
        ? undefined
        : await deps.identity.missions.get(approved.mission.id, approved.mission.version);
    return {
      agent: {
        id: agent.id,
        name: agent.name,
        owner: agent.owner,
        team: agent.team,
        status: agent.status,
        jkt: agent.jkt,
        epoch: agent.epoch,
        createdAt: agent.createdAt,
      },
      profiles: profiles.map((p) => ({
        version: p.version,
        status: p.status,
        model: p.model,
        promptDigest: p.promptDigest,
        mission: p.mission,
        createdAt: p.createdAt,
        decidedBy: p.decidedBy,
      })),
      drift: profiles.some((p) => p.status === 'pending') && approved !== undefined,
      mission:
        mission === undefined
          ? undefined
          : {
              id: mission.id,
              version: mission.version,
              manifest: mission.manifest,
              digest: mission.digest,
            },
      grants: grants.slice(-100).reverse(),
      activity: deps.feed.agent(agent.id),
    };
  });
  app.get('/api/activity', read, async (request) => {
    const limit = Math.min(integerParam(request.query, 'limit') ?? 100, 500);
    const agent = (request.query as { agent?: unknown }).agent;
    if (agent !== undefined && typeof agent !== 'string')
      throw new ZtError('invalid-argument', '"agent" must be a string');
    return { activity: deps.feed.recent(limit, agent === undefined ? {} : { agent }) };
  });
  app.get('/api/denials', read, async (request) => ({
    denials: deps.feed.denials(Math.min(integerParam(request.query, 'limit') ?? 100, 200)),
  }));
  app.get('/api/costs', read, async (request) => {
    const query = costQuery.safeParse(request.query);
    if (!query.success)
      throw new ZtError(
        'invalid-argument',
        'query must be by=agent|team|mission, hours=1..2160, subject?',
      );
    const since = new Date(deps.now().getTime() - query.data.hours * HOUR_MS).toISOString();
    const subject = query.data.subject;
    return {
      by: query.data.by,
      since,
      points: await costsOverTime(deps.store.db, query.data.by as CostSubject, since, subject),
    };
  });
  app.get('/api/budgets', read, async () => ({
    configured: deps.budgets,
    usage: await budgetUsage(deps.store.db),
  }));
}

function topCosts(
  points: Awaited<ReturnType<typeof costsOverTime>>,
  agents: Awaited<ReturnType<typeof fleet>>,
) {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.key, (totals.get(p.key) ?? 0) + p.costNano);
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([agent, costNano]) => ({ agent, name: names.get(agent) ?? agent, costNano }));
}

/** What the approvals queue shows of a grant row. */
export function grantView(row: {
  id: string;
  agent: string;
  task: string;
  purpose: string;
  allow: string;
  kind: string;
  created_at: string;
  expires_at: string;
  requested_by: string;
}) {
  return {
    id: row.id,
    agent: row.agent,
    kind: row.kind,
    task: row.task,
    purpose: row.purpose,
    allow: JSON.parse(row.allow) as unknown,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
