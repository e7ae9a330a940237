// Audit explorer: search the log; an entry shows its bytes and its inclusion proof, verified here in
// the browser against the signed checkpoint.
import { useMemo, useState } from 'preact/hooks';
import { describe, short, timeOf } from '../format.js';
import type { ActivityItem } from '../types.js';
import { useResource } from '../use-resource.js';
import { type EntryWithProof, verifyEntry } from '../verify-entry.js';

interface SearchResult {
  results: ActivityItem[];
  next: number | null;
}

export function Audit(props: { index: number | undefined }) {
  const [form, setForm] = useState({ type: '', agent: '', text: '' });
  const [query, setQuery] = useState('');
  const search = useResource<SearchResult>(`/api/audit/search?limit=100${query}`);
  const submit = (event: Event): void => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form))
      if (value.trim() !== '') params.set(key, value.trim());
    const text = params.toString();
    setQuery(text === '' ? '' : `&${text}`);
  };
  return (
    <div class="audit">
      <section class="panel">
        <h2>Search the log</h2>
        <form class="search" onSubmit={submit}>
          {(['type', 'agent', 'text'] as const).map((field) => (
            <input
              key={field}
              name={field}
              placeholder={field}
              value={form[field]}
              onInput={(e) => setForm({ ...form, [field]: (e.target as HTMLInputElement).value })}
            />
          ))}
          <button type="submit">Search</button>
        </form>
        {search.error !== undefined && <p class="error">{search.error}</p>}
        <ul class="activity" data-testid="audit-results">
          {(search.data?.results ?? []).map((item) => (
            <li key={item.index}>
              <a href={`#/audit/${item.index}`}>#{item.index}</a>
              <span class="time">{timeOf(item.time)}</span>
              {item.decision !== undefined && (
                <span class={`badge ${item.decision}`}>{item.decision}</span>
              )}
              <span class="what">{describe(item)}</span>
              {item.agent !== undefined && <span class="agent">{short(item.agent)}</span>}
            </li>
          ))}
        </ul>
      </section>
      <section class="panel">
        {props.index === undefined ? (
          <p>Select an entry to see its proof.</p>
        ) : (
          <Entry index={props.index} />
        )}
      </section>
    </div>
  );
}

function Entry(props: { index: number }) {
  const entry = useResource<EntryWithProof>(`/api/audit/entries/${props.index}`);
  const verification = useMemo(
    () => (entry.data === undefined ? undefined : verifyEntry(entry.data)),
    [entry.data],
  );
  if (entry.error !== undefined) return <p class="error">{entry.error}</p>;
  if (entry.data === undefined || verification === undefined) return <p>Loading…</p>;
  return (
    <div data-testid="audit-entry">
      <h2>Entry #{props.index}</h2>
      <p data-testid="proof-status" class={verification.ok ? 'verified' : 'error'}>
        {verification.ok
          ? `Inclusion proof verified in this browser against the checkpoint of ${verification.origin} at tree size ${verification.size}.`
          : `Verification failed: ${verification.reason}`}
      </p>
      <h3>Entry (the bytes hashed into the leaf)</h3>
      <pre class="code">{JSON.stringify(JSON.parse(entry.data.entry), null, 2)}</pre>
      <h3>Proof ({entry.data.proof.hashes.length} hashes)</h3>
      <pre class="code">{entry.data.proof.hashes.join('\n')}</pre>
      <h3>Signed checkpoint</h3>
      <pre class="code">{entry.data.checkpoint}</pre>
      <p class="muted mono">log key {entry.data.vkey}</p>
    </div>
  );
}
