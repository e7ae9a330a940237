// Policies in force: the list, one policy's Cedar text, and a dry run of an input against them.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { can, type Session } from '../session.js';
import { useResource } from '../use-resource.js';

interface PolicySummary {
  id: string;
  effect: string;
  annotations: Record<string, string>;
}

const EXAMPLE = JSON.stringify(
  {
    agent: 'demo',
    action: 'tools/call',
    tool: 'orders/query',
    args: { sql: 'DROP TABLE orders' },
    argKinds: { sql: 'sql' },
  },
  null,
  2,
);

export function Policies(props: { session: Session }) {
  const list = useResource<{ policies: PolicySummary[] }>('/api/policies');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const policy = useResource<{ id: string; text: string }>(
    selected === undefined ? undefined : `/api/policies/${encodeURIComponent(selected)}`,
  );
  if (list.error !== undefined) return <p class="error">{list.error}</p>;
  return (
    <div class="policies">
      <section class="panel">
        <h2>Policies in force</h2>
        <ul class="plain" data-testid="policies">
          {(list.data?.policies ?? []).map((p) => (
            <li key={p.id}>
              <button type="button" class="link" onClick={() => setSelected(p.id)}>
                {p.id}
              </button>{' '}
              <span class={`badge ${p.effect === 'forbid' ? 'deny' : 'allow'}`}>{p.effect}</span>
              {p.annotations.severity !== undefined && (
                <span class="muted"> {p.annotations.severity}</span>
              )}
              {p.annotations.reason !== undefined && (
                <div class="muted">{p.annotations.reason}</div>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section class="panel">
        <h2>{selected ?? 'Select a policy'}</h2>
        {policy.data !== undefined && <pre class="code">{policy.data.text}</pre>}
        {can(props.session, 'audit:read') && <PolicyTest />}
      </section>
    </div>
  );
}

function PolicyTest() {
  const [input, setInput] = useState(EXAMPLE);
  const [result, setResult] = useState<string | undefined>(undefined);
  const run = async (): Promise<void> => {
    try {
      const parsed = JSON.parse(input) as unknown;
      setResult(JSON.stringify(await api.post('/api/policies/test', { input: parsed }), null, 2));
    } catch (error) {
      setResult(error instanceof Error ? `error: ${error.message}` : String(error));
    }
  };
  return (
    <div class="policy-test">
      <h3>Test an input</h3>
      <textarea
        rows={8}
        value={input}
        onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)}
      />
      <button type="button" class="primary" onClick={() => void run()}>
        Decide
      </button>
      {result !== undefined && (
        <pre class="code" data-testid="policy-test-result">
          {result}
        </pre>
      )}
    </div>
  );
}
