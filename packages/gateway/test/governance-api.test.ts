// The governance API's answers to bad input and to objects that do not exist: a stable code and a
// fixed message, never a stack trace; and the reads an operator gets on a fresh control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStartToken, type OperatorSession, redeemLogin } from './support/operators.js';
import {
  exited,
  freshDataDir,
  removeDir,
  type RunningServer,
  runCli,
  STACK_FRAME,
  startServer,
  tempDir,
} from './support/process.js';

let dataDir: string;
let server: RunningServer;
let session: OperatorSession;

async function call(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrfToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

beforeAll(async () => {
  dataDir = freshDataDir();
  server = await startServer(dataDir);
  session = await redeemLogin(server.url, await firstStartToken(() => server.stderr()));
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await exited(server.child);
  removeDir(dataDir);
});

describe('governance API: errors', () => {
  it.each([
    ['POST', '/api/approvals/grt_x/approve', '{}', 400, 'invalid-argument'],
    ['POST', '/api/approvals/grt_x/approve', '{"reason":"   "}', 400, 'invalid-argument'],
    ['POST', '/api/approvals/grt_x/deny', '{"reason":"no","extra":1}', 400, 'invalid-argument'],
    ['POST', '/api/approvals/grt_missing/approve', '{"reason":"ok"}', 404, 'not-found'],
    ['POST', '/api/agents/agt_x/quarantine', '{}', 400, 'invalid-argument'],
    ['POST', '/api/agents/agt_missing/quarantine', '{"reason":"test"}', 404, 'not-found'],
    ['GET', '/api/agents/agt_missing', undefined, 404, 'not-found'],
    ['GET', '/api/costs?by=planet', undefined, 400, 'invalid-argument'],
    ['GET', '/api/costs?hours=0', undefined, 400, 'invalid-argument'],
    ['GET', '/api/activity?limit=abc', undefined, 400, 'invalid-argument'],
    ['GET', '/api/audit/search?limit=1000', undefined, 400, 'invalid-argument'],
    ['GET', '/api/audit/search?before=-1', undefined, 400, 'invalid-argument'],
    ['GET', '/api/audit/entries/999999', undefined, 400, 'index-out-of-range'],
    ['GET', '/api/audit/entries/x', undefined, 400, 'invalid-argument'],
    ['GET', '/api/policies/nope', undefined, 404, 'not-found'],
    ['POST', '/api/policies/test', '{"input":[]}', 400, 'invalid-argument'],
    ['POST', '/api/policies/test', '{"input":{"agent":"a"}}', 400, 'invalid-argument'],
    ['PUT', '/api/operators/bob', '{"roles":["root"]}', 400, 'invalid-argument'],
    ['PUT', '/api/operators/agent:x', '{"roles":["viewer"]}', 400, 'invalid-argument'],
    ['POST', '/api/operators/nobody/login-links', '{}', 404, 'not-found'],
    ['GET', '/api/incidents/inc_missing', undefined, 404, 'not-found'],
    ['POST', '/api/incidents/inc_missing/release', '{"reason":"done"}', 404, 'not-found'],
    ['POST', '/api/incidents/inc_missing/release', '{}', 400, 'invalid-argument'],
    [
      'POST',
      '/api/kill-switches',
      '{"scope":"team","team":"bad team!","reason":"x"}',
      400,
      'invalid-argument',
    ],
    ['POST', '/api/kill-switches', '{"scope":"all"}', 400, 'invalid-argument'],
    [
      'POST',
      '/api/kill-switches/ks_missing/release',
      '{"reason":"done"}',
      409,
      'kill-switch-not-engaged',
    ],
    [
      'POST',
      '/api/session',
      '{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}',
      401,
      'login-invalid',
    ],
  ] as const)('%s %s %s answers %i %s', async (method, path, body, status, code) => {
    const answer = await call(method, path, body);
    expect({ status: answer.status, code: (answer.body.error as { code: string }).code }).toEqual({
      status,
      code,
    });
    expect(Object.keys(answer.body)).toEqual(['error']);
    expect(answer.text).not.toContain(STACK_FRAME);
  });
});

describe('governance API: a fresh control plane', () => {
  it('shows an empty fleet, the first admin in the activity, and no approvals', async () => {
    const overview = await call('GET', '/api/overview');
    expect(overview.status).toBe(200);
    expect(overview.body).toMatchObject({
      agents: { total: 0, byStatus: {}, drifting: 0 },
      topCosts: [],
      approvals: { pending: [] },
    });
    const types = (overview.body.activity as Array<{ type: string }>).map((a) => a.type);
    expect(types).toEqual(
      expect.arrayContaining(['policy.loaded', 'operator.roles', 'operator.login']),
    );
    expect(overview.body.perMinute).toHaveLength(60);
  });

  it('lists a refused authentication among the denials, with its code', async () => {
    const refused = await fetch(`${server.url}/api/identity/whoami`, {
      headers: { authorization: 'AgentCert not-a-certificate', dpop: 'not-a-proof' },
    });
    expect(refused.status).toBe(401);
    await expect
      .poll(async () => {
        const denials = (await call('GET', '/api/denials')).body.denials as Array<{
          type: string;
          decision?: string;
          reasons?: string[];
        }>;
        return denials.find((d) => d.type === 'identity.authentication.refused');
      })
      .toMatchObject({ decision: 'deny', reasons: ['token-malformed'] });
  });

  it('decides a policy test input without recording it', async () => {
    const before = await call('GET', '/api/audit/search?type=guard&limit=10');
    const decided = await call(
      'POST',
      '/api/policies/test',
      JSON.stringify({
        input: {
          agent: 'a1',
          action: 'tools/call',
          tool: 'db/query',
          args: { sql: 'DROP TABLE users' },
          argKinds: { sql: 'sql' },
        },
      }),
    );
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      decision: 'deny',
      policyIds: ['baseline/destructive-sql'],
    });
    const after = await call('GET', '/api/audit/search?type=guard&limit=10');
    expect(after.body.results).toEqual(before.body.results);
  });

  it('serves an entry with a proof against the signed checkpoint it names', async () => {
    const entry = await call('GET', '/api/audit/entries/0');
    expect(entry.status).toBe(200);
    expect(entry.body).toMatchObject({
      index: 0,
      vkey: expect.stringMatching(/^zt4ai\.local\/audit\+/),
    });
    const size = Number(String(entry.body.checkpoint).split('\n')[1]);
    expect((entry.body.proof as { treeSize: number }).treeSize).toBe(size);
  });
});

describe('zt4ai up --demo: its directory', () => {
  it('refuses a DATA_DIR/demo it did not make (invalid-argument), and removes nothing', async () => {
    const dir = tempDir();
    try {
      const own = `${dir}/demo`;
      await runCli(['audit', 'append', '--data-dir', own], { input: '{"type":"mine"}\n' });
      const result = await runCli(['up', '--demo', '--port', '0', '--data-dir', dir]);
      expect(result.code).toBe(2); // invalid-argument is a usage error
      expect(result.stderr).toMatch(/error \[invalid-argument\].*was not made by the demo/);
      expect(result.stderr).not.toContain(STACK_FRAME);
      const tail = await runCli(['audit', 'tail', '--data-dir', own]);
      expect(tail.stdout).toContain('"type":"mine"');
    } finally {
      removeDir(dir);
    }
  });
});
