// Hash routing: `#/agents/ID` and friends. The page never reloads, and the server serves one shell.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview' }
  | { page: 'agents' }
  | { page: 'agent'; id: string }
  | { page: 'approvals' }
  | { page: 'incidents' }
  | { page: 'policies' }
  | { page: 'audit'; index?: number };

export function parseRoute(hash: string): Route {
  const [, page = '', arg] = hash.replace(/^#/, '').split('/');
  switch (page) {
    case 'agents':
      return arg === undefined || arg === ''
        ? { page: 'agents' }
        : { page: 'agent', id: decodeURIComponent(arg) };
    case 'approvals':
      return { page: 'approvals' };
    case 'incidents':
      return { page: 'incidents' };
    case 'policies':
      return { page: 'policies' };
    case 'audit':
      return arg !== undefined && /^\d+$/.test(arg)
        ? { page: 'audit', index: Number(arg) }
        : { page: 'audit' };
    default:
      return { page: 'overview' };
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function agentHref(id: string): string {
  return `#/agents/${encodeURIComponent(id)}`;
}
