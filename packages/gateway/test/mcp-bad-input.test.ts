// Hostile and broken input at /mcp: every case gets its HTTP status and JSON-RPC code, the gateway
// stays up, and an agent's open 2025-era session and a 2026-era client keep working after each.
// Upstream failures come from a misbehaving stdio server (support/mcp-fake-upstream.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { type Client, ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_CODES } from '../src/mcp/index.js';
import { FAKE_UPSTREAM_SOURCE } from './support/mcp-fake-upstream.js';
import {
  LEGACY,
  MODERN,
  type McpWorld,
  mcpWorld,
  type TestAgent,
  textOf,
} from './support/mcp-world.js';
import { cleanupStores } from './support/stores.js';

const MAX_MESSAGE_BYTES = 64 * 1024;
const UPSTREAM_TIMEOUT_MS = 1500;
const MAX_SESSIONS = 4;
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let world: McpWorld;
let agent: TestAgent;
let starts: string;
let session: Client;
let stateless: Client;

beforeAll(async () => {
  world = await mcpWorld({
    mcp: {
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxSessionsPerAgent: MAX_SESSIONS,
      upstreams: [
        {
          name: 'fake',
          transport: 'stdio',
          command: process.execPath,
          args: ['-e', FAKE_UPSTREAM_SOURCE],
          env: { STARTS: 'starts.log' },
          cwd: '.', // the config's directory
          timeoutMs: UPSTREAM_TIMEOUT_MS,
        },
      ],
    },
  });
  starts = join(world.dir, 'starts.log');
  writeFileSync(starts, '');
  agent = world.agent;
  await world.grant(agent, ['tools/call:fake/*']);
  session = await world.connect('legacy');
  stateless = await world.connect('modern');
});

afterAll(async () => {
  await world.close();
  await cleanupStores();
});

/** After every case: the gateway answers, the open session and a stateless client still work. */
afterEach(async () => {
  expect((await fetch(`${world.url}/healthz`)).status).toBe(200);
  expect(
    textOf(await session.callTool({ name: 'fake/ok', arguments: { text: 'still here' } })),
  ).toBe('ok: still here');
  expect(textOf(await stateless.callTool({ name: 'fake/ok', arguments: { text: 'me too' } }))).toBe(
    'ok: me too',
  );
});

interface Answer {
  readonly status: number;
  readonly body:
    { error?: { code: number | string; message: string }; [k: string]: unknown } | undefined;
}

/** One authenticated request with exactly these headers and body. */
async function send(
  body: string | undefined,
  headers: Record<string, string> = {},
  method = 'POST',
  who: TestAgent = agent,
): Promise<Answer> {
  const response = await who.identity.fetch(world.endpoint, {
    method,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  // A 2025-era answer may come as one SSE event: its data line is the message.
  const json = (response.headers.get('content-type') ?? '').startsWith('text/event-stream')
    ? (/^data: (.*)$/m.exec(text)?.[1] ?? '')
    : text;
  return {
    status: response.status,
    body: json === '' ? undefined : (JSON.parse(json) as Answer['body']),
  };
}

const modern = (method: string, params: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: ENVELOPE } });
const modernHeaders = (method: string, name?: string): Record<string, string> => ({
  'mcp-protocol-version': MODERN,
  'mcp-method': method,
  ...(name === undefined ? {} : { 'mcp-name': name }),
});

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('malformed messages', () => {
  it('a body that is not JSON: 400, -32700', async () => {
    const answer = await send('{"jsonrpc":"2.0","id":1,');
    expect(answer).toMatchObject({ status: 400, body: { error: { code: -32700 } } });
  });

  it('a member repeated with another value: 400, -32700', async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fake/hang","name":"fake/ok","_meta":${JSON.stringify(ENVELOPE)}}}`;
    const answer = await send(body, modernHeaders('tools/call', 'fake/ok'));
    expect(answer).toMatchObject({ status: 400, body: { error: { code: -32700 } } });
  });

  it('a batch, of either era, and an empty one: 400, -32600', async () => {
    const legacyBatch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ]);
    for (const body of [legacyBatch, `[${modern('tools/list')}]`, '[]']) {
      const answer = await send(body, modernHeaders('tools/list'));
      expect(answer).toMatchObject({
        status: 400,
        body: { error: { code: -32600, message: expect.stringContaining('batch') as string } },
      });
    }
  });

  it('a JSON value that is not a message: 400, -32600', async () => {
    for (const body of ['"tools/list"', '42', 'null', '{"hello":"world"}']) {
      const answer = await send(body, modernHeaders('tools/list'));
      expect(answer.status).toBe(400);
      expect(answer.body?.error?.code).toBe(-32600);
    }
  });

  it('a message over the size limit: 413, -32600', async () => {
    const answer = await send(
      modern('tools/list', { pad: 'x'.repeat(MAX_MESSAGE_BYTES) }),
      modernHeaders('tools/list'),
    );
    expect(answer).toMatchObject({
      status: 413,
      body: { error: { code: -32600, message: expect.stringContaining('too large') as string } },
    });
  });

  it('a body that is not declared JSON: 415', async () => {
    const answer = await send(modern('tools/list'), {
      ...modernHeaders('tools/list'),
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(415);
  });

  it('a method the gateway does not serve: -32601, in both eras', async () => {
    const stateless = await send(modern('sampling/unknown'), modernHeaders('sampling/unknown'));
    expect(stateless.body?.error?.code).toBe(-32601);
    const sessionId = (session as unknown as { transport: { sessionId: string } }).transport
      .sessionId;
    const legacy = await send(
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'sampling/unknown', params: {} }),
      {
        'mcp-session-id': sessionId,
        'mcp-protocol-version': LEGACY,
        accept: 'application/json, text/event-stream',
      },
    );
    expect(legacy.status).toBe(200);
    expect(legacy.body?.error?.code).toBe(-32601);
  });

  it('an HTTP method other than GET, POST and DELETE: 405', async () => {
    const answer = await send(modern('tools/list'), modernHeaders('tools/list'), 'PUT');
    expect(answer.status).toBe(405);
    for (const method of ['HEAD', 'PATCH', 'OPTIONS'])
      expect((await send(undefined, {}, method)).status).toBe(405);
  });
});

describe('2026-07-28: the Mcp-Method and Mcp-Name headers must match the body', () => {
  it('a tool name that differs from the body: 400, -32020, and nothing runs', async () => {
    const before = (await world.events('guard.decision')).length;
    const answer = await send(
      modern('tools/call', { name: 'fake/ok', arguments: {} }),
      modernHeaders('tools/call', 'fake/crash'),
    );
    expect(answer).toMatchObject({ status: 400, body: { error: { code: -32020 } } });
    expect((await world.events('guard.decision')).length).toBe(before);
  });

  it('a method that differs from the body, or no method header: 400, -32020', async () => {
    const other = await send(
      modern('tools/call', { name: 'fake/ok' }),
      modernHeaders('tools/list'),
    );
    expect(other).toMatchObject({ status: 400, body: { error: { code: -32020 } } });
    const missing = await send(modern('tools/call', { name: 'fake/ok' }), {
      'mcp-protocol-version': MODERN,
    });
    expect(missing).toMatchObject({ status: 400, body: { error: { code: -32020 } } });
  });

  it('matching headers are served', async () => {
    const answer = await send(
      modern('tools/call', { name: 'fake/ok', arguments: { text: 'raw' } }),
      modernHeaders('tools/call', 'fake/ok'),
    );
    expect(answer.status).toBe(200);
    expect(textOf((answer.body as { result: unknown }).result)).toBe('ok: raw');
  });
});

describe('2025-11-25 sessions', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: LEGACY,
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  });
  const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

  it('a request without a session id: 400', async () => {
    const answer = await send(list, { 'mcp-protocol-version': LEGACY });
    expect(answer).toMatchObject({
      status: 400,
      body: {
        error: { code: -32000, message: expect.stringContaining('Mcp-Session-Id') as string },
      },
    });
    for (const method of ['GET', 'DELETE'])
      expect((await send(undefined, {}, method)).status).toBe(400);
  });

  it('an unknown session id: 404, for POST, GET and DELETE', async () => {
    const headers = {
      'mcp-session-id': '6f1c1d7e-0000-4000-8000-000000000000',
      'mcp-protocol-version': LEGACY,
    };
    expect(await send(list, headers)).toMatchObject({
      status: 404,
      body: { error: { code: -32001 } },
    });
    expect((await send(undefined, headers, 'GET')).status).toBe(404);
    expect((await send(undefined, headers, 'DELETE')).status).toBe(404);
  });

  it('initialize, the GET stream, and DELETE ending the session', async () => {
    const opened = await agent.identity.fetch(world.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: initialize,
    });
    const id = opened.headers.get('mcp-session-id') ?? '';
    await opened.body?.cancel();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': LEGACY };
    const stream = await agent.identity.fetch(world.endpoint, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    await stream.body?.cancel();
    expect((await send(undefined, headers, 'DELETE')).status).toBe(200);
    expect((await send(list, headers)).status).toBe(404);
  });

  it('one agent opening too many sessions: 429 until it closes one', async () => {
    const open = async (): Promise<{ status: number; id: string }> => {
      const response = await agent.identity.fetch(world.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: initialize,
      });
      await response.body?.cancel();
      return { status: response.status, id: response.headers.get('mcp-session-id') ?? '' };
    };
    const opened: string[] = [];
    while (world.gateway.sessions.size < MAX_SESSIONS) opened.push((await open()).id);
    expect((await open()).status).toBe(429);
    for (const id of opened)
      await send(undefined, { 'mcp-session-id': id, 'mcp-protocol-version': LEGACY }, 'DELETE');
    expect((await open()).status).toBe(200);
  });

  it('a second initialize in a session is refused', async () => {
    const sessionId = (session as unknown as { transport: { sessionId: string } }).transport
      .sessionId;
    const answer = await send(initialize, {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': LEGACY,
    });
    expect(answer.status).toBe(400);
  });
});

describe('DNS rebinding: Host and Origin', () => {
  /** node:http, because fetch does not let a caller set Host. */
  async function withHost(host: string, origin?: string): Promise<number> {
    const certificate = await agent.identity.certificate();
    const proof = await agent.identity.proof('POST', world.endpoint.href);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        world.endpoint,
        {
          method: 'POST',
          headers: {
            host,
            ...(origin === undefined ? {} : { origin }),
            authorization: `AgentCert ${certificate}`,
            dpop: proof,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...modernHeaders('tools/list'),
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(modern('tools/list'));
    });
  }

  it('a Host that is not this gateway: 403', async () => {
    expect(await withHost('attacker.example:80')).toBe(403);
  });

  it('a request from a browser origin: 403', async () => {
    expect(await withHost(world.endpoint.host, 'http://attacker.example')).toBe(403);
  });

  it("the gateway's own host, without an Origin, is served", async () => {
    expect(await withHost(world.endpoint.host)).toBe(200);
  });
});

describe('upstreams that fail', () => {
  const startsNow = (): number => readFileSync(starts, 'utf8').split('\n').filter(Boolean).length;

  it('a crash is an error (-32051); the upstream is restarted on next use', async () => {
    const before = startsNow();
    const error = await rejection(stateless.callTool({ name: 'fake/crash', arguments: {} }));
    expect(error.code).toBe(WIRE_CODES.upstreamUnavailable);
    expect(error.message).toBe('Upstream fake is unavailable');
    const again = await session.callTool({ name: 'fake/ok', arguments: { text: 'back' } });
    expect(textOf(again)).toBe('ok: back');
    expect(startsNow()).toBe(before + 1);
    const failed = (await world.events('mcp.call.failed')).find((e) => e.tool === 'fake/crash');
    expect(failed).toMatchObject({ failure: 'unavailable', upstream: 'fake', agent: agent.id });
  });

  it("a hang is a timeout (-32052) after the upstream's budget", async () => {
    const started = Date.now();
    const error = await rejection(session.callTool({ name: 'fake/hang', arguments: {} }));
    expect(error.code).toBe(WIRE_CODES.upstreamTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + 3000);
  });

  it('a result of the wrong shape is an invalid answer (-32053)', async () => {
    const error = await rejection(stateless.callTool({ name: 'fake/garbage', arguments: {} }));
    expect(error.code).toBe(WIRE_CODES.upstreamInvalid);
  });

  it('output that is not JSON-RPC is skipped: the call times out (-32052), the connection stays', async () => {
    const before = startsNow();
    const error = await rejection(session.callTool({ name: 'fake/noise', arguments: {} }));
    expect(error.code).toBe(WIRE_CODES.upstreamTimeout);
    expect(textOf(await stateless.callTool({ name: 'fake/ok', arguments: { text: 'x' } }))).toBe(
      'ok: x',
    );
    expect(startsNow()).toBe(before);
  });

  it("no error reaching the agent carries a stack trace or the upstream's internals", async () => {
    const failures = await world.events('mcp.call.failed');
    expect(failures.length).toBeGreaterThanOrEqual(4);
    for (const failure of failures) expect(JSON.stringify(failure)).not.toContain('    at ');
  });
});
