// The shell: session, navigation, the live connection, and the page the hash names.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { connectLive, disconnectLive, useLiveStatus } from './live.js';
import { Agent } from './pages/agent.js';
import { Agents } from './pages/agents.js';
import { Approvals } from './pages/approvals.js';
import { Audit } from './pages/audit.js';
import { Incidents } from './pages/incidents.js';
import { Login } from './pages/login.js';
import { Overview } from './pages/overview.js';
import { Policies } from './pages/policies.js';
import { type Route, useRoute } from './router.js';
import { can, logout, type Session, singleSignOnError, startSession } from './session.js';
import type { FleetAgent } from './types.js';

export function App() {
  const [session, setSession] = useState<Session | undefined | null>(null);
  const [error, setError] = useState<string | undefined>(singleSignOnError);
  useEffect(() => {
    startSession().then(setSession, (failure: unknown) => {
      setError(failure instanceof Error ? failure.message : String(failure));
      setSession(undefined);
    });
  }, []);
  useEffect(() => {
    if (session === null || session === undefined) return;
    connectLive();
    return disconnectLive;
  }, [session]);
  if (session === null) return <p>Loading…</p>;
  if (session === undefined) return <Login onLogin={setSession} error={error} />;
  return (
    <Shell session={session} onLogout={() => void logout().then(() => setSession(undefined))} />
  );
}

function Shell(props: { session: Session; onLogout: () => void }) {
  const route = useRoute();
  const live = useLiveStatus();
  const names = useAgentNames();
  return (
    <div class="shell">
      <header>
        <strong>zt4ai</strong>
        <nav>
          {NAV.filter((n) => n.permission === undefined || can(props.session, n.permission)).map(
            (n) => (
              <a key={n.href} href={n.href} class={isActive(route, n.page) ? 'active' : ''}>
                {n.label}
              </a>
            ),
          )}
        </nav>
        <span class={`live ${live ? 'on' : 'off'}`} data-testid="live-status">
          {live ? 'live' : 'offline'}
        </span>
        <span class="who">
          {props.session.operator} ({props.session.roles.join(', ')})
        </span>
        <button type="button" onClick={props.onLogout}>
          Log out
        </button>
      </header>
      <main>
        <Page route={route} session={props.session} names={names} />
      </main>
    </div>
  );
}

const NAV: ReadonlyArray<{
  href: string;
  label: string;
  page: Route['page'];
  permission?: string;
}> = [
  { href: '#/', label: 'Overview', page: 'overview' },
  { href: '#/agents', label: 'Agents', page: 'agents' },
  { href: '#/approvals', label: 'Approvals', page: 'approvals' },
  { href: '#/incidents', label: 'Incidents', page: 'incidents' },
  { href: '#/policies', label: 'Policies', page: 'policies' },
  { href: '#/audit', label: 'Audit', page: 'audit', permission: 'audit:read' },
];

function isActive(route: Route, page: Route['page']): boolean {
  return route.page === page || (page === 'agents' && route.page === 'agent');
}

function Page(props: { route: Route; session: Session; names: ReadonlyMap<string, string> }) {
  const { route } = props;
  switch (route.page) {
    case 'agents':
      return <Agents />;
    case 'agent':
      return <Agent id={route.id} session={props.session} />;
    case 'approvals':
      return <Approvals session={props.session} names={props.names} />;
    case 'incidents':
      return <Incidents session={props.session} names={props.names} />;
    case 'policies':
      return <Policies session={props.session} />;
    case 'audit':
      return <Audit index={route.index} />;
    default:
      return <Overview names={props.names} />;
  }
}

/** Agent names by id, loaded once after the first render (ids stand in until then). */
function useAgentNames(): ReadonlyMap<string, string> {
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    const timer = setTimeout(() => {
      api.get<{ agents: FleetAgent[] }>('/api/agents').then(
        (fleet) => setNames(new Map(fleet.agents.map((a) => [a.id, a.name]))),
        () => undefined,
      );
    }, 0);
    return () => clearTimeout(timer);
  }, []);
  return names;
}
