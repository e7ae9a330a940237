// The approvals queue: each pending grant with what it asks for; approve or deny with a reason.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { permissions, short, timeOf } from '../format.js';
import { useRefreshOn } from '../live.js';
import { agentHref } from '../router.js';
import { can, type Session } from '../session.js';
import type { ActivityItem, PendingGrant } from '../types.js';
import { useResource } from '../use-resource.js';

const grantEvent = (item: ActivityItem): boolean => item.type.startsWith('grant.');

export function Approvals(props: { session: Session; names: ReadonlyMap<string, string> }) {
  const queue = useResource<{ pending: PendingGrant[] }>('/api/approvals');
  useRefreshOn(grantEvent, queue.reload, 500);
  const [deciding, setDeciding] = useState<
    { grant: PendingGrant; verdict: 'approve' | 'deny' } | undefined
  >(undefined);
  const mayDecide = can(props.session, 'approvals:decide');
  if (queue.error !== undefined) return <p class="error">{queue.error}</p>;
  const pending = queue.data?.pending ?? [];
  return (
    <div class="panel wide">
      <h2>Approvals ({pending.length})</h2>
      <table class="list" data-testid="approvals">
        <thead>
          <tr>
            <th>agent</th>
            <th>task</th>
            <th>asks for</th>
            <th>requested</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {pending.map((grant) => (
            <tr key={grant.id} data-grant={grant.id}>
              <td>
                <a href={agentHref(grant.agent)}>
                  {props.names.get(grant.agent) ?? short(grant.agent)}
                </a>
              </td>
              <td>
                {grant.task}
                {grant.purpose !== '' && <div class="muted">{grant.purpose}</div>}
              </td>
              <td class="mono">{permissions(grant.allow).join(', ')}</td>
              <td>{timeOf(grant.createdAt)}</td>
              <td class="actions">
                {mayDecide && (
                  <>
                    <button
                      type="button"
                      class="primary"
                      onClick={() => setDeciding({ grant, verdict: 'approve' })}
                    >
                      Approve
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => setDeciding({ grant, verdict: 'deny' })}
                    >
                      Deny
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
          {pending.length === 0 && (
            <tr>
              <td colSpan={5}>Nothing waits for approval.</td>
            </tr>
          )}
        </tbody>
      </table>
      {deciding !== undefined && (
        <ConfirmDialog
          title={`${deciding.verdict === 'approve' ? 'Approve' : 'Deny'} "${deciding.grant.task}"?`}
          message={`Grant ${deciding.grant.id} for ${props.names.get(deciding.grant.agent) ?? deciding.grant.agent}: ${permissions(deciding.grant.allow).join(', ')}`}
          confirmLabel={deciding.verdict === 'approve' ? 'Approve' : 'Deny'}
          danger={deciding.verdict === 'deny'}
          onConfirm={async (reason) => {
            await api.post(
              `/api/approvals/${encodeURIComponent(deciding.grant.id)}/${deciding.verdict}`,
              { reason },
            );
            queue.reload();
          }}
          onClose={() => setDeciding(undefined)}
        />
      )}
    </div>
  );
}
