// Which credential each HTTP route takes. Operator routes declare a permission in their config;
// routes that agents call authenticate the agent themselves (certificate + proof of possession) and
// are listed here by path; a handful are public by design. A route in none of these is refused to
// everyone (fail closed) and the route-table test names it.
import type { Permission } from '../access/index.js';

export type RouteAccess =
  /** Anyone: liveness, the issuer's public keys and discovery, nonces, the dashboard's files. */
  | { readonly kind: 'public' }
  /** The handler authenticates an agent (AgentCert + DPoP) and refuses anyone else. */
  | { readonly kind: 'agent' }
  /** The request carries its own one-time credential (a login link token). */
  | { readonly kind: 'login' }
  /** An operator session whose roles grant `permission`. */
  | { readonly kind: 'operator'; readonly permission: Permission }
  /** Not classified: refused to everyone. */
  | { readonly kind: 'unclassified' };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How requests to this route are authenticated (api/route-access.ts). */
    access?: RouteAccess;
  }
}

/** Route options for an operator route needing `permission`. */
export function operatorOnly(permission: Permission): { config: { access: RouteAccess } } {
  return { config: { access: { kind: 'operator', permission } } };
}

/** Route options for a route open to anyone. */
export const PUBLIC: { config: { access: RouteAccess } } = {
  config: { access: { kind: 'public' } },
};

/** Paths that protocols fix and other components mount, with the credential they take. */
const BY_PATH: ReadonlyArray<{
  readonly match: (url: string) => boolean;
  readonly access: RouteAccess;
}> = [
  { match: (url) => url === '/mcp', access: { kind: 'agent' } },
  { match: (url) => url.startsWith('/v1/'), access: { kind: 'agent' } },
  { match: (url) => url.startsWith('/api/grants'), access: { kind: 'agent' } },
  { match: (url) => url === '/api/identity/certificates', access: { kind: 'agent' } },
  { match: (url) => url === '/api/identity/whoami', access: { kind: 'agent' } },
  { match: (url) => url === '/api/identity/nonce', access: { kind: 'public' } },
  { match: (url) => url === '/.well-known/jwks.json', access: { kind: 'public' } },
  { match: (url) => url === '/.well-known/zt4ai-configuration', access: { kind: 'public' } },
];

/** The access of a route: its declaration, else its path's, else unclassified. */
export function classifyRoute(url: string, declared: RouteAccess | undefined): RouteAccess {
  if (declared !== undefined) return declared;
  return BY_PATH.find((entry) => entry.match(url))?.access ?? { kind: 'unclassified' };
}
