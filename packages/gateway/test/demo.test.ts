// `zt4ai up --demo` end to end: a fresh demo organization in front of the real MCP servers, its
// scripted agents going through allowed work, a destructive SQL statement, an exfiltration attempt,
// a pending approval, a drift and a honeytoken touch, all seen through the governance API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStartToken, type OperatorSession, redeemLogin } from './support/operators.js';
import {
  exited,
  removeDir,
  type RunningServer,
  spawnCli,
  tempDir,
  within,
  collect,
  onLines,
} from './support/process.js';

interface Item {
  type: string;
  agent?: string;
  tool?: string;
  decision?: string;
  reasons?: string[];
}

let dataDir: string;
let server: RunningServer;
let session: OperatorSession;
let ids: Map<string, string>;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrfToken,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });
  expect(response.status, `${path}`).toBeLessThan(300);
  return (await response.json()) as T;
}

/** Resolves once `match` is among the recent activity (the whole scenario runs in ~15 s). */
async function eventually(what: string, match: (item: Item) => boolean): Promise<Item> {
  return within(
    (async () => {
      for (;;) {
        const { results } = await api<{ results: Item[] }>('/api/audit/search?limit=200');
        const found = results.find(match);
        if (found !== undefined) return found;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })(),
    45_000,
    what,
  );
}

beforeAll(async () => {
  dataDir = tempDir('zt4ai-demo-');
  const child = spawnCli(['up', '--demo', '--port', '0', '--data-dir', dataDir]);
  const stderr = collect(child.stderr);
  // The organization is created once the server listens; the demo logs when it is complete.
  const created = new Promise<void>((resolve) =>
    onLines(child.stdout, (line) => {
      if (line.includes('demo: organization created')) resolve();
    }),
  );
  const token = await firstStartToken(stderr, 30_000);
  const url = /governance center at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr())?.[1] ?? '';
  server = { child, url, logs: [], stderr };
  session = await redeemLogin(url, token);
  await within(created, 45_000, 'the demo organization');
  const { agents } = await api<{ agents: Array<{ id: string; name: string }> }>('/api/agents');
  ids = new Map(agents.map((a) => [a.name, a.id]));
});

afterAll(async () => {
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await exited(server.child);
  }
  removeDir(dataDir);
});

describe('zt4ai up --demo', () => {
  it('creates the demo organization: four agents, each with a mission and a grant', async () => {
    expect([...ids.keys()].sort()).toEqual([
      'ops-agent',
      'orders-analyst',
      'research-bot',
      'support-bot',
    ]);
    const { agents } = await api<{
      agents: Array<{ name: string; mission?: { name: string }; grants: { active: number } }>;
    }>('/api/agents');
    for (const agent of agents) {
      expect(agent.mission?.name, agent.name).toBeDefined();
      expect(agent.grants.active, agent.name).toBeGreaterThan(0);
    }
  });

  it('runs ordinary allowed work', async () => {
    const allowed = await eventually(
      'allowed work',
      (i) => i.type === 'guard.decision' && i.decision === 'allow',
    );
    expect(allowed.agent).toBeDefined();
  });

  it('denies the destructive database action', async () => {
    const denied = await eventually(
      'destructive SQL',
      (i) => i.type === 'guard.decision' && i.tool === 'orders/query' && i.decision === 'deny',
    );
    expect(denied.agent).toBe(ids.get('orders-analyst'));
    expect(denied.reasons?.[0]).toMatch(/destructive SQL/);
  });

  it('denies the exfiltration of customer data', async () => {
    const denied = await eventually(
      'exfiltration',
      (i) =>
        i.type === 'guard.decision' && i.tool === 'memory/create_entities' && i.decision === 'deny',
    );
    expect(denied.agent).toBe(ids.get('support-bot'));
    expect(denied.reasons?.join(' ')).toMatch(/confidential data may not flow/);
  });

  it('accounts the model calls made through the LLM gateway: costs per team over time', async () => {
    const costs = await within(
      (async () => {
        for (;;) {
          const answer = await api<{
            points: Array<{ key: string; hour: string; costNano: number }>;
          }>('/api/costs?by=team&hours=1');
          if (answer.points.some((p) => p.key === 'data' && p.costNano > 0)) return answer.points;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })(),
      45_000,
      'model spending',
    );
    for (const point of costs) expect(point.hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}$/);
  });

  it('records the drift of an agent that presents a changed prompt', async () => {
    const drift = await eventually('drift', (i) => i.type === 'identity.drift');
    expect(drift.agent).toBe(ids.get('ops-agent'));
  });

  it('quarantines the agent that touches the honeytoken', async () => {
    const touched = await eventually(
      'honeytoken',
      (i) => i.tool === 'orders/export_customer_credentials' && i.decision === 'deny',
    );
    expect(touched.agent).toBe(ids.get('research-bot'));
    await eventually(
      'quarantine',
      (i) =>
        i.type === 'identity.agent.status' &&
        i.decision === 'quarantined' &&
        i.agent === ids.get('research-bot'),
    );
  });

  it('leaves a grant pending for an approver; approved, the agent proceeds with it', async () => {
    const pending = await within(
      (async () => {
        for (;;) {
          const queue = await api<{ pending: Array<{ id: string; agent: string; task: string }> }>(
            '/api/approvals',
          );
          if (queue.pending.length > 0) return queue.pending;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })(),
      45_000,
      'pending approval',
    );
    expect(pending).toMatchObject([{ agent: ids.get('orders-analyst') }]);
    const grant = pending[0] as { id: string };
    await api(`/api/approvals/${grant.id}/approve`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'refund confirmed with the customer' }),
    });
    const refund = await eventually(
      'the approved refund',
      (i) => i.type === 'guard.decision' && i.tool === 'orders/refund' && i.decision === 'allow',
    );
    expect(refund.agent).toBe(ids.get('orders-analyst'));
  });

  it('lists the incident of the honeytoken touch; an approver releases it', async () => {
    const research = ids.get('research-bot');
    const { incidents } = await within(
      (async () => {
        for (;;) {
          const list = await api<{
            incidents: Array<{ id: string; agent: string; status: string }>;
          }>(`/api/incidents?agent=${research}`);
          if (list.incidents.length > 0) return list;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })(),
      45_000,
      'the incident',
    );
    expect(incidents[0]).toMatchObject({ agent: research, status: 'open' });
    const id = (incidents[0] as { id: string }).id;
    const detail = await api<{ timeline: unknown[]; evidence: number[] }>(`/api/incidents/${id}`);
    expect(detail.evidence.length).toBeGreaterThan(0);
    await api(`/api/incidents/${id}/release`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'the tool call was a test by the red team' }),
    });
    const agent = await api<{ agent: { status: string } }>(`/api/agents/${research}`);
    expect(agent.agent.status).toBe('active');
  });

  it('engages and releases a kill switch for a team', async () => {
    const engaged = await api<{ id: string; scope: string; subject: string }>(
      '/api/kill-switches',
      {
        method: 'POST',
        body: JSON.stringify({
          scope: 'team',
          team: 'support',
          reason: 'suspected prompt injection campaign',
        }),
      },
    );
    expect(engaged).toMatchObject({ scope: 'team', subject: 'support' });
    const listed = await api<{ killSwitches: Array<{ id: string; released?: unknown }> }>(
      '/api/kill-switches',
    );
    expect(listed.killSwitches.find((k) => k.id === engaged.id)?.released).toBeUndefined();
    await api(`/api/kill-switches/${engaged.id}/release`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'campaign contained' }),
    });
    const after = await api<{ killSwitches: Array<{ id: string; released?: unknown }> }>(
      '/api/kill-switches',
    );
    expect(after.killSwitches.find((k) => k.id === engaged.id)?.released).toBeDefined();
  });
});
