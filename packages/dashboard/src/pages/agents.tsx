// The fleet: every agent with its status, team, mission, profile and drift, filterable.
import { useMemo, useState } from 'preact/hooks';
import { agentHref } from '../router.js';
import { timeOf } from '../format.js';
import type { FleetAgent } from '../types.js';
import { useResource } from '../use-resource.js';

const PAGE = 200;

export function Agents() {
  const fleet = useResource<{ agents: FleetAgent[] }>('/api/agents');
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const text = filter.trim().toLowerCase();
    const all = fleet.data?.agents ?? [];
    return text === ''
      ? all
      : all.filter((a) =>
          [a.name, a.team, a.status, a.mission?.name ?? ''].some((v) =>
            v.toLowerCase().includes(text),
          ),
        );
  }, [fleet.data, filter]);
  if (fleet.error !== undefined) return <p class="error">{fleet.error}</p>;
  return (
    <div class="panel wide">
      <h2>Agents ({shown.length})</h2>
      <input
        type="search"
        placeholder="filter by name, team, status, mission"
        value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
      />
      <table class="list" data-testid="agents">
        <thead>
          <tr>
            <th>name</th>
            <th>status</th>
            <th>team</th>
            <th>mission</th>
            <th>model</th>
            <th>drift</th>
            <th>grants</th>
            <th>last seen</th>
          </tr>
        </thead>
        <tbody>
          {shown.slice(0, PAGE).map((a) => (
            <tr key={a.id}>
              <td>
                <a href={agentHref(a.id)}>{a.name}</a>
              </td>
              <td>
                <span class={`badge ${a.status}`}>{a.status}</span>
              </td>
              <td>{a.team}</td>
              <td>{a.mission?.name ?? ''}</td>
              <td>{a.profile?.model ?? ''}</td>
              <td>
                {a.drift === undefined ? (
                  ''
                ) : (
                  <span class="badge warn">v{a.drift.version} pending</span>
                )}
              </td>
              <td>
                {a.grants.active} active
                {a.grants.pending > 0 ? `, ${a.grants.pending} pending` : ''}
              </td>
              <td>{a.activity === undefined ? '' : timeOf(a.activity.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length > PAGE && <p>Showing the first {PAGE}; filter to narrow down.</p>}
    </div>
  );
}
