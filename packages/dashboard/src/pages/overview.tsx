// Overview: fleet status, live activity, denials, top costs and pending approvals at a glance.
import { useCallback, useMemo } from 'preact/hooks';
import { ActivityList } from '../components/activity-list.js';
import { Chart } from '../components/chart.js';
import { dollars, short, timeOf } from '../format.js';
import { useLiveItems, useRefreshOn } from '../live.js';
import { agentHref } from '../router.js';
import type { ActivityItem, Overview as OverviewData } from '../types.js';
import { useResource } from '../use-resource.js';

const isDenial = (item: ActivityItem): boolean =>
  item.decision === 'deny' || item.type === 'llm.refused' || item.type === 'mcp.call.rejected';
const any = (): boolean => true;
const EMPTY: readonly ActivityItem[] = [];
/** Minutes of activity the chart shows. */
const CHART_MINUTES = 15;

export function Overview(props: { names: ReadonlyMap<string, string> }) {
  const overview = useResource<OverviewData>('/api/overview');
  useRefreshOn(any, overview.reload, 3000);
  const data = overview.data;
  const activity = useLiveItems(data?.activity ?? EMPTY, 50);
  const denials = useLiveItems(data?.denials ?? EMPTY, 20, isDenial);
  const chart = useMemo(() => {
    const points = (data?.perMinute ?? []).slice(-CHART_MINUTES);
    return {
      x: points.map((p) => Date.parse(p.minute) / 1000),
      series: [
        { label: 'events/min', values: points.map((p) => p.events), color: '#2563eb' },
        { label: 'denials/min', values: points.map((p) => p.denials), color: '#dc2626' },
      ],
    };
  }, [data]);
  const nameOf = useCallback((id: string) => props.names.get(id) ?? short(id), [props.names]);
  if (overview.error !== undefined && data === undefined)
    return <p class="error">{overview.error}</p>;
  if (data === undefined) return <p>Loading…</p>;
  const status = data.agents.byStatus;
  return (
    <div class="overview">
      <section class="cards" data-testid="fleet-status">
        <Card label="agents" value={data.agents.total} />
        <Card label="active" value={status.active ?? 0} />
        <Card
          label="quarantined"
          value={status.quarantined ?? 0}
          tone={(status.quarantined ?? 0) > 0 ? 'bad' : undefined}
        />
        <Card
          label="drifting"
          value={data.agents.drifting}
          tone={data.agents.drifting > 0 ? 'warn' : undefined}
        />
        <Card
          label="pending approvals"
          value={data.approvals.pending.length}
          tone={data.approvals.pending.length > 0 ? 'warn' : undefined}
        />
        <Card
          label="denials (last hour)"
          value={data.perMinute.reduce((n, p) => n + p.denials, 0)}
        />
      </section>
      <section class="panel wide">
        <Chart title="Activity (15 min)" x={chart.x} series={chart.series} />
      </section>
      <section class="panel">
        <h2>Live activity</h2>
        <ActivityList items={activity} names={props.names} testId="live-activity" />
      </section>
      <section class="panel">
        <h2>Denials</h2>
        <ActivityList items={denials} names={props.names} testId="denials" />
      </section>
      <section class="panel">
        <h2>Top costs (24 h)</h2>
        <table data-testid="top-costs">
          <tbody>
            {data.topCosts.map((line) => (
              <tr key={line.agent}>
                <td>
                  <a href={agentHref(line.agent)}>{line.name}</a>
                </td>
                <td class="num">{dollars(line.costNano)}</td>
              </tr>
            ))}
            {data.topCosts.length === 0 && (
              <tr>
                <td>No model spending yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>
          Pending approvals <a href="#/approvals">open queue</a>
        </h2>
        <ul class="plain" data-testid="pending-approvals">
          {data.approvals.pending.map((grant) => (
            <li key={grant.id}>
              <a href={agentHref(grant.agent)}>{nameOf(grant.agent)}</a> · {grant.task} ·{' '}
              {timeOf(grant.createdAt)}
            </li>
          ))}
          {data.approvals.pending.length === 0 && <li>Nothing waits for you.</li>}
        </ul>
      </section>
    </div>
  );
}

function Card(props: { label: string; value: number; tone?: 'bad' | 'warn' | undefined }) {
  return (
    <div class={`card ${props.tone ?? ''}`} data-label={props.label}>
      <div class="value">{props.value}</div>
      <div class="label">{props.label}</div>
    </div>
  );
}
