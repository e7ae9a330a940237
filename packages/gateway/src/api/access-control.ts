// Operator access control for every route: a hook added to each route as it is registered checks
// the session cookie, the CSRF token of state-changing requests and the role the route needs. The
// routes and their access are kept, so a test can walk the whole table.
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  decideOperatorAccess,
  type OperatorAccess,
  type OperatorPrincipal,
} from '../access/index.js';
import { errorBody } from './http-errors.js';
import { classifyRoute, type RouteAccess } from './route-access.js';

/** The session cookie: HttpOnly, SameSite=Strict, Path=/, Secure when served over https. */
export const SESSION_COOKIE = 'zt4ai_session';
/** The header a state-changing operator request must carry its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator of an operator route, set once access was granted. */
    operator: OperatorPrincipal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const STATUS = { unauthenticated: 401, 'csrf-invalid': 403, forbidden: 403 } as const;
const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Installs cookie parsing and the access hook; call before any route is registered. */
export function installAccessControl(app: FastifyInstance, access: OperatorAccess): void {
  void app.register(import('@fastify/cookie'));
  app.decorateRequest('operator', null);
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    const resolved = classifyRoute(route.url, route.config?.access);
    for (const method of [route.method].flat())
      table.push({ method, url: route.url, access: resolved });
    route.config = { ...route.config, access: resolved };
    const guard = accessHook(resolved, access);
    if (guard !== undefined) route.onRequest = [guard, ...[route.onRequest ?? []].flat()];
  });
}

/** Every route registered so far with the access it takes (from Fastify's onRoute). */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}

function accessHook(
  access: RouteAccess,
  operators: OperatorAccess,
): onRequestHookHandler | undefined {
  if (access.kind === 'public' || access.kind === 'agent' || access.kind === 'login')
    return undefined;
  if (access.kind === 'unclassified')
    return async (_request, reply) =>
      refuse(reply, 'forbidden', 'this route is not open to anyone');
  const { permission } = access;
  return async (request, reply) => {
    const principal = await operators.authenticate(sessionSecret(request));
    const decision = decideOperatorAccess(principal, permission, {
      changesState: !SAFE_METHODS.has(request.method),
      csrfToken: singleHeader(request, CSRF_HEADER),
    });
    if (!decision.allowed) return refuse(reply, decision.code, MESSAGES[decision.code]);
    request.operator = principal ?? null;
    return undefined;
  };
}

const MESSAGES = {
  unauthenticated: 'log in first',
  'csrf-invalid': 'missing or wrong CSRF token',
  forbidden: 'your roles do not allow this',
} as const;

function refuse(reply: FastifyReply, code: keyof typeof STATUS, message: string): FastifyReply {
  return reply
    .status(STATUS[code])
    .header('cache-control', 'no-store')
    .send(errorBody(code, message));
}

/** The session cookie's value, if the request carries one. */
export function sessionSecret(request: FastifyRequest): string | undefined {
  return request.cookies?.[SESSION_COOKIE];
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
