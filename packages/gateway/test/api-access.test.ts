// Operator access over the whole route table: every route `zt4ai up` offers (read from Fastify's
// route table, so a new route is covered without touching this file) is refused to anonymous
// requests unless it is public by design, and every operator route is refused to roles without its
// permission and to state-changing requests without the session's CSRF token.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_SERVER } from './support/mcp-world.js';
import {
  exited,
  freshDataDir,
  removeDir,
  type RunningServer,
  startServer,
  tempDir,
  within,
} from './support/process.js';

interface Route {
  method: string;
  url: string;
  access: { kind: string; permission?: string };
}
interface Session {
  cookie: string;
  csrfToken: string;
}

/** Routes anyone may call, and why: liveness, the issuer's public keys, nonces, the app shell. */
const PUBLIC = [
  'GET /healthz',
  'GET /.well-known/jwks.json',
  'GET /.well-known/zt4ai-configuration',
  'POST /api/identity/nonce',
  'GET /',
  'GET /assets/*',
  'GET /api/session/methods',
];
/** What each role may do (docs/governance.md), written out rather than read from the code. */
const GRANTS: Record<string, readonly string[]> = {
  viewer: ['fleet:read'],
  auditor: ['fleet:read', 'audit:read'],
  approver: ['fleet:read', 'approvals:decide'],
  admin: ['fleet:read', 'audit:read', 'approvals:decide', 'containment:act', 'operators:manage'],
};
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let dir: string;
let dataDir: string;
let server: RunningServer;
let routes: Route[];
const sessions: Record<string, Session> = {};

async function login(token: string): Promise<Session> {
  const response = await fetch(`${server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  return {
    cookie: setCookie.split(';')[0] ?? '',
    csrfToken: ((await response.json()) as { csrfToken: string }).csrfToken,
  };
}

async function send(
  route: { method: string; url: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | undefined }> {
  const url = route.url.replace(/:[A-Za-z]+/g, 'x').replace('*', 'x');
  const hasBody = STATE_CHANGING.has(route.method);
  const response = await fetch(`${server.url}${url}`, {
    method: route.method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(hasBody ? { body: '{}' } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = route.method === 'HEAD' ? '' : await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

function withSession(session: Session, csrf = true): Record<string, string> {
  return { cookie: session.cookie, ...(csrf ? { 'x-csrf-token': session.csrfToken } : {}) };
}

beforeAll(async () => {
  dir = tempDir('zt4ai-access-');
  dataDir = freshDataDir();
  // Every kind of route mounted: the MCP gateway (one upstream) and the LLM gateway (one provider,
  // never called here).
  writeFileSync(
    join(dir, 'zt4ai.yaml'),
    JSON.stringify({
      mcp: {
        upstreams: [
          { name: 'memory', transport: 'stdio', command: process.execPath, args: [MEMORY_SERVER] },
        ],
      },
      llm: {
        providers: [
          {
            id: 'local',
            kind: 'openai-compatible',
            baseUrl: 'http://127.0.0.1:9/v1',
            apiKey: 'sk-x',
          },
        ],
      },
    }),
  );
  server = await startServer(dataDir, { cwd: dir });
  const token = await within(
    (async () => {
      for (;;) {
        const match = /#login=([A-Za-z0-9_-]{43})/.exec(server.stderr());
        if (match?.[1] !== undefined) return match[1];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })(),
    10_000,
    'first-start login link',
  );
  sessions.admin = await login(token);
  for (const role of ['viewer', 'auditor', 'approver']) {
    const name = `${role}-op`;
    const admin = withSession(sessions.admin);
    const set = await fetch(`${server.url}/api/operators/${name}`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: [role] }),
    });
    expect(set.status).toBe(200);
    const link = await fetch(`${server.url}/api/operators/${name}/login-links`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(link.status).toBe(201);
    const { url } = (await link.json()) as { url: string };
    sessions[role] = await login(url.split('#login=')[1] ?? '');
  }
  const table = await fetch(`${server.url}/api/routes`, { headers: withSession(sessions.admin) });
  expect(table.status).toBe(200);
  routes = ((await table.json()) as { routes: Route[] }).routes;
});

afterAll(async () => {
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await exited(server.child);
  }
  removeDir(dataDir);
  removeDir(dir);
});

describe('the route table', () => {
  it('covers every mounted component, and every route says how it authenticates', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'GET /api/events',
      'GET /api/overview',
      'POST /api/approvals/:id/approve',
      'GET /api/audit/entries/:index',
      'POST /mcp',
      'POST /v1/chat/completions',
      'POST /api/grants',
      'GET /metrics',
    ])
      expect(keys).toContain(expected);
    expect(routes.filter((r) => r.access.kind === 'unclassified')).toEqual([]);
  });

  it('has exactly the public routes it should', () => {
    const open = routes
      .filter((r) => r.access.kind === 'public' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual([...PUBLIC].sort());
  });

  it('refuses every other route to a request without credentials', async () => {
    const closed = routes.filter((r) => r.access.kind !== 'public');
    expect(closed.length).toBeGreaterThan(40);
    for (const route of closed) {
      const { status, code } = await send(route);
      const where = `${route.method} ${route.url} answered ${status}`;
      if (route.access.kind === 'operator') {
        expect(status, where).toBe(401);
        if (route.method !== 'HEAD') expect(code, where).toBe('unauthenticated');
      } else {
        // Agent routes and the login route take their credential in the request itself: without
        // it they refuse, at the latest when the credential is checked (a method or body they do
        // not take earlier, with 400, 405 or 415).
        expect([400, 401, 403, 405, 415], where).toContain(status);
      }
    }
  });

  it('refuses every operator route to the roles without its permission', async () => {
    const operator = routes.filter((r) => r.access.kind === 'operator');
    let refusals = 0;
    for (const route of operator) {
      for (const [role, permissions] of Object.entries(GRANTS)) {
        if (permissions.includes(route.access.permission ?? '')) continue;
        const session = sessions[role] as Session;
        const { status, code } = await send(route, withSession(session));
        expect({ route: `${route.method} ${route.url}`, role, status, code }).toMatchObject({
          status: 403,
          code: route.method === 'HEAD' ? undefined : 'forbidden',
        });
        refusals += 1;
      }
    }
    expect(refusals).toBeGreaterThan(40);
  });

  it('lets the roles with the permission through the access check', async () => {
    for (const route of routes.filter((r) => r.access.kind === 'operator' && r.method === 'GET')) {
      if (route.url === '/api/events') continue; // a stream: checked by the browser tests
      for (const [role, permissions] of Object.entries(GRANTS)) {
        if (!permissions.includes(route.access.permission ?? '')) continue;
        const { status } = await send(route, withSession(sessions[role] as Session));
        expect({ route: route.url, role, status }).not.toMatchObject({
          status: expect.toSatisfy((s: number) => s === 401 || s === 403),
        });
      }
    }
  });

  it('refuses a state-changing operator request without the session CSRF token', async () => {
    const changing = routes.filter(
      (r) => r.access.kind === 'operator' && STATE_CHANGING.has(r.method),
    );
    expect(changing.length).toBeGreaterThan(5);
    for (const route of changing) {
      for (const headers of [
        withSession(sessions.admin as Session, false),
        { ...withSession(sessions.admin as Session, false), 'x-csrf-token': 'A'.repeat(43) },
      ]) {
        const { status, code } = await send(route, headers);
        expect({ route: `${route.method} ${route.url}`, status, code }).toEqual({
          route: `${route.method} ${route.url}`,
          status: 403,
          code: 'csrf-invalid',
        });
      }
    }
  });
});

describe('sessions and login links', () => {
  it('redeems a login link once only', async () => {
    const admin = withSession(sessions.admin as Session);
    const link = await fetch(`${server.url}/api/operators/viewer-op/login-links`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    const token = ((await link.json()) as { url: string }).url.split('#login=')[1] ?? '';
    await login(token);
    const again = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({
      error: { code: 'login-invalid', message: 'the login link is unknown, used or expired' },
    });
  });

  it('answers a malformed login with a stable code and no detail', async () => {
    for (const body of ['{}', '{"token":1}', 'not json', '{"token":"x","extra":1}']) {
      const response = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      const text = await response.text();
      expect(text).not.toContain('    at ');
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toMatch(
        /^(login-invalid|invalid-json|invalid-request)$/,
      );
    }
  });

  it('ends a session on logout: the cookie no longer opens anything', async () => {
    const session = await login(
      (
        (await (
          await fetch(`${server.url}/api/operators/auditor-op/login-links`, {
            method: 'POST',
            headers: {
              ...withSession(sessions.admin as Session),
              'content-type': 'application/json',
            },
            body: '{}',
          })
        ).json()) as { url: string }
      ).url.split('#login=')[1] ?? '',
    );
    const out = await fetch(`${server.url}/api/session`, {
      method: 'DELETE',
      headers: withSession(session),
    });
    expect(out.status).toBe(204);
    const after = await send({ method: 'GET', url: '/api/session' }, withSession(session));
    expect(after).toEqual({ status: 401, code: 'unauthenticated' });
  });

  it('takes a role change into account at once', async () => {
    const admin = withSession(sessions.admin as Session);
    const before = await send(
      { method: 'GET', url: '/api/audit/checkpoint' },
      withSession(sessions.viewer as Session),
    );
    expect(before.status).toBe(403);
    const set = await fetch(`${server.url}/api/operators/viewer-op`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['auditor'] }),
    });
    expect(set.status).toBe(200);
    // A changed operator's sessions end: the old cookie is refused, not upgraded.
    const after = await send(
      { method: 'GET', url: '/api/audit/checkpoint' },
      withSession(sessions.viewer as Session),
    );
    expect(after).toEqual({ status: 401, code: 'unauthenticated' });
  });
});
