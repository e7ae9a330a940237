// End-to-end tests of `zt4ai up`: the HTTP API over a log filled through the CLI, its error bodies,
// metrics, and a clean shutdown on SIGTERM and SIGINT.
import {
  fromBase64,
  leafHash,
  toBase64,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@zt4ai/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  event,
  exited,
  freshDataDir,
  removeDir,
  runCli,
  type RunningServer,
  STACK_FRAME,
  startServer,
  TEST_KEY,
  within,
} from './support/process.js';
import { firstStartToken, type OperatorSession, redeemLogin } from './support/operators.js';

/** Entries appended through the CLI before the server starts. */
const APPENDED = 10;
/**
 * Those, the `policy.loaded` entry the server writes when it starts, and the first start's admin
 * (its roles, its login link, its login).
 */
const INITIAL = APPENDED + 1 + 3;
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Appends `count` events through the CLI, numbered from `first`. */
async function appendWithCli(dataDir: string, count: number, first: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => event('http-test', { n: first + i }));
  const result = await runCli(['audit', 'append', '--data-dir', dataDir], {
    input: `${lines.join('\n')}\n`,
  });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout.trimEnd().split('\n')).toHaveLength(count);
}

/** The first start's admin, logged in: the audit routes need an auditor or admin. */
let session: OperatorSession | undefined;

async function get(
  server: RunningServer,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; type: string | null; text: string }> {
  const headers = { ...(session === undefined ? {} : { cookie: session.cookie }) };
  const response = await fetch(`${server.url}${path}`, { ...init, headers });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  };
}

async function getJson<T>(server: RunningServer, path: string): Promise<T> {
  const response = await get(server, path);
  expect(response.status).toBe(200);
  expect(response.type).toBe(JSON_TYPE);
  return JSON.parse(response.text) as T;
}

/** The server's current checkpoint, verified under the test key. */
async function checkpoint(server: RunningServer): Promise<{ size: number; root: Uint8Array }> {
  const response = await get(server, '/api/audit/checkpoint');
  expect(response.status).toBe(200);
  const verified = verifyCheckpoint(response.text, TEST_KEY.vkey);
  return { size: verified.size, root: verified.rootHash };
}

describe('zt4ai up: routes', () => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = freshDataDir();
    await appendWithCli(dataDir, APPENDED, 0);
    server = await startServer(dataDir);
    session = await redeemLogin(server.url, await firstStartToken(() => server.stderr()));
  });

  afterAll(async () => {
    server.child.kill('SIGKILL');
    await exited(server.child);
    removeDir(dataDir);
  });

  it('logs as pino JSON lines on stdout, including the listening address', () => {
    expect(server.logs.length).toBeGreaterThan(0);
    for (const log of server.logs) {
      expect(log).toMatchObject({
        level: expect.any(Number) as number,
        msg: expect.any(String) as string,
      });
      expect(typeof log.time).toBe('number');
    }
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toBe('http://127.0.0.1:7300');
  });

  it('GET /healthz and /readyz answer 200 with JSON', async () => {
    expect(await getJson(server, '/healthz')).toEqual({ status: 'ok' });
    expect(await getJson(server, '/readyz')).toEqual({ status: 'ready' });
  });

  it('GET /api/audit/vkey is the C2SP verifier key, as text', async () => {
    const response = await get(server, '/api/audit/vkey');
    expect(response).toEqual({ status: 200, type: TEXT_TYPE, text: `${TEST_KEY.vkey}\n` });
  });

  it('GET /api/audit/checkpoint is a signed checkpoint of the whole log, as text', async () => {
    const response = await get(server, '/api/audit/checkpoint');
    expect(response.status).toBe(200);
    expect(response.type).toBe(TEXT_TYPE);
    const verified = verifyCheckpoint(response.text, TEST_KEY.vkey);
    expect(verified.size).toBe(INITIAL);
    expect(verified.origin).toBe('zt4ai.local/audit');
  });

  it('GET /api/audit/entries pages through the entries in order', async () => {
    type Page = { entries: Array<{ index: number; entry: string }> };
    const all = await getJson<Page>(server, '/api/audit/entries');
    expect(all.entries.map((e) => e.index)).toEqual(Array.from({ length: INITIAL }, (_, i) => i));
    all.entries
      .slice(0, APPENDED)
      .forEach(({ index, entry }) =>
        expect(JSON.parse(entry)).toMatchObject({ type: 'http-test', n: index, index }),
      );
    expect(JSON.parse(all.entries[APPENDED]!.entry)).toMatchObject({
      type: 'policy.loaded',
      bundle: 'baseline',
    });
    const page = await getJson<Page>(server, '/api/audit/entries?from=8&limit=5');
    expect(page.entries).toEqual(all.entries.slice(8, 13));
    const one = await getJson<Page>(server, '/api/audit/entries?from=3&limit=1');
    expect(one.entries).toEqual([all.entries[3]]);
    const beyond = await getJson<Page>(server, '/api/audit/entries?from=50');
    expect(beyond.entries).toEqual([]);
  });

  it('GET /api/audit/proof gives inclusion proofs that verify against the checkpoint root', async () => {
    const { size, root } = await checkpoint(server);
    const { entries } = await getJson<{ entries: Array<{ index: number; entry: string }> }>(
      server,
      '/api/audit/entries',
    );
    type Proof = { treeSize: number; leafIndex: number; leafHash: string; hashes: string[] };
    for (const { index, entry } of entries) {
      const proof = await getJson<Proof>(server, `/api/audit/proof?index=${index}`);
      expect(Object.keys(proof).sort()).toEqual(['hashes', 'leafHash', 'leafIndex', 'treeSize']);
      expect(proof).toMatchObject({ treeSize: size, leafIndex: index });
      const leaf = leafHash(Buffer.from(entry, 'utf8'));
      expect(proof.leafHash).toBe(toBase64(leaf));
      verifyInclusion(index, size, leaf, proof.hashes.map(fromBase64), root);
    }
    const sized = await getJson<Proof>(server, '/api/audit/proof?index=2&size=4');
    expect(sized).toMatchObject({ treeSize: 4, leafIndex: 2 });
    expect(() =>
      verifyInclusion(2, 4, fromBase64(sized.leafHash), sized.hashes.map(fromBase64), root),
    ).toThrow();
  });

  it.for([
    [`/api/audit/proof?index=${INITIAL}`, 400, 'index-out-of-range'],
    ['/api/audit/proof?index=3&size=3', 400, 'index-out-of-range'],
    ['/api/audit/proof?index=0&size=0', 400, 'invalid-tree-size'],
    [`/api/audit/proof?index=0&size=${INITIAL + 1}`, 400, 'invalid-tree-size'],
    ['/api/audit/consistency?from=5&to=3', 400, 'invalid-range'],
    ['/api/audit/consistency?from=0&to=3', 400, 'invalid-range'],
    ['/api/audit/proof?index=abc', 400, 'invalid-argument'],
    ['/api/audit/proof?index=-1', 400, 'invalid-argument'],
    ['/api/audit/proof?index=1.5', 400, 'invalid-argument'],
    ['/api/audit/proof?index=1&index=2', 400, 'invalid-argument'],
    ['/api/audit/proof', 400, 'invalid-argument'],
    ['/api/audit/consistency?from=x', 400, 'invalid-argument'],
    ['/api/audit/entries?from=abc', 400, 'invalid-argument'],
    ['/api/audit/entries?limit=0', 400, 'invalid-argument'],
    ['/api/audit/entries?limit=100000', 400, 'invalid-argument'],
    ['/api/audit/nope', 404, 'not-found'],
  ] as const)('GET %s answers %i with a JSON error %s', async ([path, status, code]) => {
    const response = await get(server, path);
    expect(response.status).toBe(status);
    expect(response.type).toBe(JSON_TYPE);
    const body = JSON.parse(response.text) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(/\S/);
    expect(response.text).not.toContain(STACK_FRAME);
  });

  it('GET / serves the dashboard shell under a strict Content-Security-Policy', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await response.text()).toContain('<div id="app">');
  });

  it('a write to a read-only route is a JSON 404', async () => {
    const response = await get(server, '/api/audit/checkpoint', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toMatchObject({ error: { code: 'not-found' } });
  });

  it('GET /metrics is Prometheus text with the audit tree size and request metrics', async () => {
    await get(server, '/healthz');
    const response = await get(server, '/metrics');
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    expect(response.text).toMatch(/^# TYPE zt4ai_audit_tree_size gauge$/m);
    expect(response.text).toMatch(new RegExp(`^zt4ai_audit_tree_size ${INITIAL}$`, 'm'));
    expect(response.text).toMatch(
      /^zt4ai_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+$/m,
    );
  });

  // Runs last: it grows the log the other tests read.
  it('sees appends made by the CLI while running; consistency proofs link the checkpoints', async () => {
    const before = await checkpoint(server);
    expect(before.size).toBe(INITIAL);
    await appendWithCli(dataDir, 5, INITIAL);
    const after = await checkpoint(server);
    expect(after.size).toBe(INITIAL + 5);
    type Consistency = { from: number; to: number; hashes: string[] };
    const proof = await getJson<Consistency>(
      server,
      `/api/audit/consistency?from=${before.size}&to=${after.size}`,
    );
    expect(Object.keys(proof).sort()).toEqual(['from', 'hashes', 'to']);
    expect(proof).toMatchObject({ from: INITIAL, to: INITIAL + 5 });
    const hashes = proof.hashes.map(fromBase64);
    verifyConsistency(before.size, after.size, hashes, before.root, after.root);
    expect(() =>
      verifyConsistency(before.size, after.size, hashes, after.root, after.root),
    ).toThrow();
    const toLatest = await getJson<Consistency>(server, `/api/audit/consistency?from=${INITIAL}`);
    expect(toLatest).toEqual(proof);
    const metrics = await get(server, '/metrics');
    expect(metrics.text).toMatch(new RegExp(`^zt4ai_audit_tree_size ${INITIAL + 5}$`, 'm'));
  });
});

describe('zt4ai up: shutdown', () => {
  it.for(['SIGTERM', 'SIGINT'] as const)(
    '%s drains, flushes and exits 0 with a "stopped" log line',
    async (signal) => {
      const dataDir = freshDataDir();
      try {
        const server = await startServer(dataDir);
        expect((await get(server, '/healthz')).status).toBe(200);
        const ended = exited(server.child);
        expect(server.child.kill(signal)).toBe(true);
        const { code, signal: killedBy } = await within(ended, 10_000, `shutdown on ${signal}`);
        expect(killedBy).toBeNull();
        expect(code).toBe(0);
        const messages = server.logs.map((log) => log.msg);
        expect(messages).toContain('shutting down: draining requests and flushing the audit log');
        expect(messages.at(-1)).toBe('stopped');
        expect(server.stderr()).not.toContain(STACK_FRAME);
        await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
        // The store was closed cleanly: it still verifies.
        const verify = await runCli(['audit', 'verify', '--data-dir', dataDir]);
        expect(verify.code).toBe(0);
      } finally {
        removeDir(dataDir);
      }
    },
  );
});
