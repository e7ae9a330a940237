// Incidents opened by containment (timeline, evidence with links into the audit explorer, release)
// and the kill switches: engage one for everything, a team or a mission, and release it.
import { useCallback, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { timeOf } from '../format.js';
import { useRefreshOn } from '../live.js';
import { agentHref } from '../router.js';
import { can, type Session } from '../session.js';
import type { ActivityItem } from '../types.js';
import { useResource } from '../use-resource.js';

interface Incident {
  id: string;
  agent: string;
  status: string;
  rule: string;
  openedAt: string;
  quarantined: boolean;
}
interface IncidentDetail extends Incident {
  timeline: Array<{ seq: number; at: string; kind: string; detail: string; evidence: number[] }>;
}
interface KillSwitch {
  id: string;
  scope: string;
  subject: string;
  reason: string;
  engagedBy: string;
  engagedAt: string;
  released?: { by: string; at: string };
}

type Pending =
  | { kind: 'release-incident'; incident: Incident }
  | { kind: 'engage'; scope: 'all' | 'team' | 'mission'; subject: string }
  | { kind: 'release-switch'; killSwitch: KillSwitch };

const containmentEvent = (item: ActivityItem): boolean =>
  item.type.startsWith('remediation.') || item.type === 'identity.agent.status';

export function Incidents(props: { session: Session; names: ReadonlyMap<string, string> }) {
  const incidents = useResource<{ incidents: Incident[] }>('/api/incidents');
  const switches = useResource<{ killSwitches: KillSwitch[] }>('/api/kill-switches');
  const reload = useCallback(() => {
    incidents.reload();
    switches.reload();
  }, [incidents.reload, switches.reload]);
  useRefreshOn(containmentEvent, reload, 500);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [target, setTarget] = useState<{ scope: 'all' | 'team' | 'mission'; subject: string }>({
    scope: 'all',
    subject: '',
  });
  if (incidents.error !== undefined) return <p class="error">{incidents.error}</p>;
  const mayAct = can(props.session, 'containment:act');
  return (
    <div class="policies">
      <section class="panel">
        <h2>Incidents</h2>
        <table class="list" data-testid="incidents">
          <tbody>
            {(incidents.data?.incidents ?? []).map((incident) => (
              <tr key={incident.id}>
                <td>
                  <button type="button" class="link" onClick={() => setOpen(incident.id)}>
                    {incident.rule}
                  </button>
                </td>
                <td>
                  <a href={agentHref(incident.agent)}>
                    {props.names.get(incident.agent) ?? incident.agent}
                  </a>
                </td>
                <td>
                  <span class={`badge ${incident.status === 'open' ? 'deny' : 'allow'}`}>
                    {incident.status}
                  </span>
                  {incident.quarantined && <span class="badge quarantined">quarantined</span>}
                </td>
                <td>{timeOf(incident.openedAt)}</td>
                <td>
                  {incident.status === 'open' && can(props.session, 'approvals:decide') && (
                    <button
                      type="button"
                      onClick={() => setPending({ kind: 'release-incident', incident })}
                    >
                      Release
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {(incidents.data?.incidents.length ?? 0) === 0 && <p>No incidents.</p>}
        {open !== undefined && <IncidentTimeline id={open} />}
      </section>
      <section class="panel">
        <h2>Kill switches</h2>
        <ul class="plain" data-testid="kill-switches">
          {(switches.data?.killSwitches ?? []).map((s) => (
            <li key={s.id}>
              <span class={`badge ${s.released === undefined ? 'deny' : 'allow'}`}>
                {s.released === undefined ? 'engaged' : 'released'}
              </span>{' '}
              {s.scope}
              {s.subject === '' ? '' : ` ${s.subject}`} · {s.reason} · {s.engagedBy}{' '}
              {timeOf(s.engagedAt)}
              {s.released === undefined && mayAct && (
                <button
                  type="button"
                  onClick={() => setPending({ kind: 'release-switch', killSwitch: s })}
                >
                  Release
                </button>
              )}
            </li>
          ))}
        </ul>
        {mayAct && (
          <div class="actions">
            <select
              value={target.scope}
              onChange={(e) =>
                setTarget({ ...target, scope: (e.target as HTMLSelectElement).value as 'all' })
              }
            >
              <option value="all">every agent</option>
              <option value="team">a team</option>
              <option value="mission">a mission</option>
            </select>
            {target.scope !== 'all' && (
              <input
                placeholder={target.scope}
                value={target.subject}
                onInput={(e) =>
                  setTarget({ ...target, subject: (e.target as HTMLInputElement).value })
                }
              />
            )}
            <button
              type="button"
              class="danger"
              onClick={() => setPending({ kind: 'engage', ...target })}
            >
              Kill switch
            </button>
          </div>
        )}
      </section>
      {pending !== undefined && (
        <ConfirmDialog
          {...dialogText(pending)}
          danger={pending.kind === 'engage'}
          onConfirm={async (reason) => {
            await act(pending, reason);
            reload();
          }}
          onClose={() => setPending(undefined)}
        />
      )}
    </div>
  );
}

function IncidentTimeline(props: { id: string }) {
  const detail = useResource<IncidentDetail>(`/api/incidents/${encodeURIComponent(props.id)}`);
  if (detail.data === undefined) return null;
  return (
    <ul class="plain" data-testid="incident-timeline">
      {detail.data.timeline.map((event) => (
        <li key={event.seq}>
          {timeOf(event.at)} · {event.kind} · {event.detail}{' '}
          {event.evidence.map((index) => (
            <a key={index} href={`#/audit/${index}`}>
              #{index}{' '}
            </a>
          ))}
        </li>
      ))}
    </ul>
  );
}

function dialogText(pending: Pending): { title: string; message: string; confirmLabel: string } {
  switch (pending.kind) {
    case 'release-incident':
      return {
        title: `Release incident ${pending.incident.rule}?`,
        message: pending.incident.quarantined
          ? 'The agent becomes active again and must ask for new certificates.'
          : 'The incident is closed.',
        confirmLabel: 'Release',
      };
    case 'engage':
      return {
        title:
          pending.scope === 'all'
            ? 'Stop every agent?'
            : `Stop the ${pending.scope} "${pending.subject}"?`,
        message:
          'Every call of the agents concerned is refused from their next one, on every gateway, until the switch is released.',
        confirmLabel: 'Engage kill switch',
      };
    case 'release-switch':
      return {
        title: 'Release the kill switch?',
        message: 'The agents concerned may call again under their grants.',
        confirmLabel: 'Release',
      };
  }
}

async function act(pending: Pending, reason: string): Promise<void> {
  switch (pending.kind) {
    case 'release-incident':
      await api.post(`/api/incidents/${encodeURIComponent(pending.incident.id)}/release`, {
        reason,
      });
      return;
    case 'engage':
      await api.post(
        '/api/kill-switches',
        pending.scope === 'all'
          ? { scope: 'all', reason }
          : { scope: pending.scope, [pending.scope]: pending.subject, reason },
      );
      return;
    case 'release-switch':
      await api.post(`/api/kill-switches/${encodeURIComponent(pending.killSwitch.id)}/release`, {
        reason,
      });
  }
}
