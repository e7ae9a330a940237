// One agent: identity and certificates, profile and drift, mission, grants, timeline, data touched,
// spending over time, and the quarantine / release controls.
import { useCallback, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ActivityList } from '../components/activity-list.js';
import { Chart } from '../components/chart.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { dollars, permissions, timeOf } from '../format.js';
import { useLiveItems, useRefreshOn } from '../live.js';
import { can, type Session } from '../session.js';
import type { ActivityItem } from '../types.js';
import { useResource } from '../use-resource.js';

interface AgentDetail {
  agent: {
    id: string;
    name: string;
    owner: string;
    team: string;
    status: string;
    jkt: string;
    epoch: number;
    createdAt: string;
  };
  profiles: Array<{
    version: number;
    status: string;
    model: { provider: string; name: string; version: string };
    promptDigest: string;
    mission: { id: string; version: number };
    createdAt: string;
    decidedBy: string | null;
  }>;
  drift: boolean;
  mission?: {
    id: string;
    version: number;
    digest: string;
    manifest: { name?: string; purpose?: string };
  };
  grants: Array<{
    id: string;
    task: string;
    status: string;
    allow: unknown;
    uses: number;
    maxUses: number | null;
    expiresAt: string;
  }>;
  activity: {
    lastSeen?: string;
    allowed: number;
    denied: number;
    timeline: ActivityItem[];
    certificates: Array<ActivityItem & { jti?: string; exp?: string; profileVersion?: number }>;
    touched: Array<{
      tool: string;
      action: string;
      labels: string[];
      count: number;
      lastAt: string;
    }>;
  };
}

interface CostPoints {
  points: Array<{ hour: string; costNano: number; calls: number }>;
}

const EMPTY: readonly ActivityItem[] = [];

export function Agent(props: { id: string; session: Session }) {
  const detail = useResource<AgentDetail>(`/api/agents/${encodeURIComponent(props.id)}`);
  const costs = useResource<CostPoints>(
    `/api/costs?by=agent&hours=24&subject=${encodeURIComponent(props.id)}`,
  );
  const [confirm, setConfirm] = useState<'quarantine' | 'release' | undefined>(undefined);
  const mine = useCallback((item: ActivityItem) => item.agent === props.id, [props.id]);
  useRefreshOn(mine, detail.reload, 1000);
  const timeline = useLiveItems(detail.data?.activity.timeline ?? EMPTY, 100, mine);
  const chart = useMemo(() => {
    const points = costs.data?.points ?? [];
    return {
      x: points.map((p) => Date.parse(`${p.hour}:00:00Z`) / 1000),
      series: [
        { label: 'cost (USD)', values: points.map((p) => p.costNano / 1e9), color: '#7c3aed' },
      ],
    };
  }, [costs.data]);
  if (detail.error !== undefined) return <p class="error">{detail.error}</p>;
  const data = detail.data;
  if (data === undefined) return <p>Loading…</p>;
  const { agent } = data;
  const approved = data.profiles.find((p) => p.status === 'approved');
  const total = (costs.data?.points ?? []).reduce((n, p) => n + p.costNano, 0);
  return (
    <div class="agent-page">
      <section class="panel wide">
        <h2>
          {agent.name}{' '}
          <span class={`badge ${agent.status}`} data-testid="agent-status">
            {agent.status}
          </span>
          {data.drift && <span class="badge warn">drift: profile change awaits approval</span>}
        </h2>
        <dl class="facts">
          <dt>id</dt>
          <dd>{agent.id}</dd>
          <dt>owner / team</dt>
          <dd>
            {agent.owner} / {agent.team}
          </dd>
          <dt>key thumbprint</dt>
          <dd class="mono">{agent.jkt}</dd>
          <dt>last seen</dt>
          <dd>{data.activity.lastSeen === undefined ? 'never' : timeOf(data.activity.lastSeen)}</dd>
          <dt>decisions</dt>
          <dd>
            {data.activity.allowed} allowed, {data.activity.denied} refused
          </dd>
        </dl>
        {can(props.session, 'containment:act') && (
          <div class="actions">
            {agent.status === 'active' && (
              <button type="button" class="danger" onClick={() => setConfirm('quarantine')}>
                Quarantine
              </button>
            )}
            {agent.status === 'quarantined' && (
              <button type="button" onClick={() => setConfirm('release')}>
                Release from quarantine
              </button>
            )}
          </div>
        )}
      </section>
      <section class="panel">
        <h2>Profile and mission</h2>
        {approved === undefined ? (
          <p>No approved profile.</p>
        ) : (
          <dl class="facts">
            <dt>model</dt>
            <dd>
              {approved.model.provider}/{approved.model.name}@{approved.model.version}
            </dd>
            <dt>prompt digest</dt>
            <dd class="mono">{approved.promptDigest}</dd>
            <dt>profile</dt>
            <dd>
              v{approved.version}, approved by {approved.decidedBy ?? '?'}
            </dd>
            <dt>mission</dt>
            <dd>
              {data.mission?.manifest.name ?? approved.mission.id} v{approved.mission.version}
              {data.mission?.manifest.purpose !== undefined && (
                <div class="muted">{data.mission.manifest.purpose}</div>
              )}
            </dd>
          </dl>
        )}
        <h3>Certificates</h3>
        <ul class="plain">
          {data.activity.certificates.map((c) => (
            <li key={c.index}>
              {timeOf(c.time)} · profile v{c.profileVersion ?? '?'} · expires{' '}
              {c.exp === undefined ? '?' : timeOf(c.exp)}
            </li>
          ))}
          {data.activity.certificates.length === 0 && <li>None issued recently.</li>}
        </ul>
      </section>
      <section class="panel">
        <h2>Grants</h2>
        <table class="list" data-testid="agent-grants">
          <tbody>
            {data.grants.map((g) => (
              <tr key={g.id}>
                <td>
                  <span class={`badge ${g.status}`}>{g.status}</span>
                </td>
                <td>{g.task}</td>
                <td class="mono">{permissions(g.allow).join(', ')}</td>
                <td>
                  {g.uses}
                  {g.maxUses === null ? '' : `/${g.maxUses}`} uses
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Data touched</h2>
        <table class="list" data-testid="data-touched">
          <tbody>
            {data.activity.touched.map((t) => (
              <tr key={`${t.action} ${t.tool}`}>
                <td>{t.tool}</td>
                <td>
                  {t.labels.map((l) => (
                    <span key={l} class="badge label">
                      {l}
                    </span>
                  ))}
                </td>
                <td class="num">{t.count}×</td>
                <td>{timeOf(t.lastAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Spending (24 h): {dollars(total)}</h2>
        <Chart title="" x={chart.x} series={chart.series} height={140} />
      </section>
      <section class="panel wide">
        <h2>Timeline</h2>
        <ActivityList items={timeline} testId="agent-timeline" hideAgent />
      </section>
      {confirm !== undefined && (
        <ConfirmDialog
          title={confirm === 'quarantine' ? `Quarantine ${agent.name}?` : `Release ${agent.name}?`}
          message={
            confirm === 'quarantine'
              ? 'Every call of this agent is refused from its next one, on every gateway, until an operator releases it.'
              : 'The agent may call again under its grants.'
          }
          confirmLabel={confirm === 'quarantine' ? 'Quarantine' : 'Release'}
          danger={confirm === 'quarantine'}
          onConfirm={async (reason) => {
            await api.post(`/api/agents/${encodeURIComponent(agent.id)}/${confirm}`, { reason });
            detail.reload();
          }}
          onClose={() => setConfirm(undefined)}
        />
      )}
    </div>
  );
}
