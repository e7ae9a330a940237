// The MCP gateway end to end with the reference servers from npm (filesystem, memory, everything)
// over stdio, driven by the official MCP client whose fetch is the agent's AgentIdentity.fetch, in
// both protocol eras: what an agent sees, what it may do, and what the audit log keeps.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type Client,
  ProtocolError,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_CODES } from '../src/mcp/index.js';
import {
  APPROVER,
  EVERYTHING_SERVER,
  type Era,
  FILESYSTEM_SERVER,
  LEGACY,
  MEMORY_SERVER,
  MODERN,
  type McpWorld,
  mcpWorld,
  type TestAgent,
  textOf,
} from './support/mcp-world.js';
import { cleanupStores } from './support/stores.js';

const CANARY = 'ZT4AI_TEST_CANARY_SECRET';

let world: McpWorld;
let root: string;
let outside: string;
/** An agent granted the filesystem, memory and the `get-*` tools of everything. */
let agent: TestAgent;
const clients: Partial<Record<Era, Client>> = {};

beforeAll(async () => {
  process.env[CANARY] = 'sk-live-canary-never-leaves-the-gateway';
  root = realpathSync(mkdtempSync(join(tmpdir(), 'zt4ai-root-')));
  outside = realpathSync(mkdtempSync(join(tmpdir(), 'zt4ai-outside-')));
  writeFileSync(join(root, 'notes.txt'), 'meeting at noon in room 4');
  writeFileSync(join(root, 'contacts.txt'), 'write to alice@example.com for access');
  writeFileSync(join(outside, 'secret.txt'), 'the outside secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync(join(root, 'notes.txt'), join(root, 'link-in'));
  mkdirSync(join(root, 'sub'));
  world = await mcpWorld({
    guard: { pathRoots: [root] },
    tools: [
      { name: 'fs/read_text_file', sink: 'internal', resultLabels: ['untrusted'] },
      { name: 'fs/list_directory', sink: 'internal' },
      { name: 'everything/get-sum', privileged: true, sink: 'internal' },
      { name: 'admin/export_all_credentials', honeytoken: true },
    ],
    mcp: {
      upstreams: [
        {
          name: 'fs',
          transport: 'stdio',
          command: process.execPath,
          args: [FILESYSTEM_SERVER, root],
        },
        {
          name: 'memory',
          transport: 'stdio',
          command: process.execPath,
          args: [MEMORY_SERVER],
          env: { MEMORY_FILE_PATH: join(outside, 'memory.jsonl') },
        },
        {
          name: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [EVERYTHING_SERVER, 'stdio'],
          env: { GREETING: 'granted-by-config' },
        },
      ],
    },
  });
  agent = world.agent;
  await world.grant(agent, [
    'tools/call:fs/*',
    'tools/call:memory/*',
    'tools/call:everything/get-*',
    'prompts/get:everything/*',
    'resources/read:memory/*',
  ]);
  clients.legacy = await world.connect('legacy');
  clients.modern = await world.connect('modern');
  // The first listing pinned every offered tool (trust on first use); an operator then blocks two.
  await clients.legacy.listTools();
  await world.pins.pins.block('fs/write_file', APPROVER, 'not for this agent');
  await world.pins.pins.block('fs/edit_file', APPROVER, 'definition under review');
});

afterAll(async () => {
  delete process.env[CANARY];
  await world.close();
  await cleanupStores();
});

const client = (era: Era): Client => clients[era] as Client;

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('both protocol eras', () => {
  it('2025-11-25: initialize opens a session the client keeps naming', () => {
    expect(client('legacy').getProtocolEra()).toBe('legacy');
    expect(client('legacy').getNegotiatedProtocolVersion()).toBe(LEGACY);
    expect(world.gateway.sessions.size).toBe(1);
  });

  it('2026-07-28: the client negotiates the stateless era and opens no session', () => {
    expect(client('modern').getProtocolEra()).toBe('modern');
    expect(client('modern').getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(world.gateway.sessions.size).toBe(1);
  });

  it.each(['legacy', 'modern'] as const)(
    '%s: tools/list shows the pinned tools a grant makes visible, and the honeytoken',
    async (era) => {
      const names = (await client(era).listTools()).tools.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'fs/read_text_file',
          'fs/list_directory',
          'memory/read_graph',
          'memory/create_entities',
          'everything/get-env',
          'everything/get-sum',
          'admin/export_all_credentials',
        ]),
      );
      expect(names).not.toContain('fs/write_file'); // blocked pin
      expect(names).not.toContain('fs/edit_file'); // blocked pin
      expect(names).not.toContain('everything/echo'); // no grant
      expect(names.every((n) => /^(fs|memory|everything|admin)\//.test(n))).toBe(true);
    },
  );

  it.each(['legacy', 'modern'] as const)('%s: a read inside the root passes', async (era) => {
    const result = await client(era).callTool({
      name: 'fs/read_text_file',
      arguments: { path: join(root, 'notes.txt') },
    });
    expect(result.isError).not.toBe(true);
    expect(textOf(result)).toBe('meeting at noon in room 4');
  });
});

describe('filesystem: the guard decides on where a path really leads', () => {
  const denied = async (path: string): Promise<void> => {
    const result = await client('modern').callTool({
      name: 'fs/read_text_file',
      arguments: { path },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Denied: the path leaves the allowed roots');
    expect(result._meta?.['io.zt4ai/decision']).toEqual({
      decision: 'deny',
      reasons: ['the path leaves the allowed roots'],
    });
  };

  it('a ../ escape is denied', async () => {
    await denied(`${root}/../${basename(outside)}/secret.txt`);
    await denied(`sub/../../${basename(outside)}/secret.txt`);
  });

  it('a symbolic link pointing out of the root is denied, absolute or relative', async () => {
    await denied(join(root, 'link-out'));
    await denied(join(root, 'dir-out', 'secret.txt'));
    await denied('link-out');
  });

  it('an absolute path elsewhere is denied', async () => {
    await denied('/etc/hostname');
  });

  it('a symbolic link that stays inside the root is followed', async () => {
    const result = await client('legacy').callTool({
      name: 'fs/read_text_file',
      arguments: { path: join(root, 'link-in') },
    });
    expect(textOf(result)).toBe('meeting at noon in room 4');
  });

  it('no denied path reached the upstream, and the log holds decisions, not contents', async () => {
    const decisions = await world.events('guard.decision');
    const denials = decisions.filter(
      (e) => e.decision === 'deny' && e.tool === 'fs/read_text_file',
    );
    expect(denials.length).toBeGreaterThanOrEqual(6);
    const outcomes = [
      ...(await world.events('mcp.call.completed')),
      ...(await world.events('mcp.call.failed')),
    ];
    const executed = new Set(outcomes.map((e) => e.decision));
    for (const denial of denials) {
      expect(denial.index).toEqual(expect.any(Number));
      expect(executed.has(denial.index)).toBe(false);
    }
    const allowed = decisions.find((e) => e.decision === 'allow' && e.tool === 'fs/read_text_file');
    expect(executed.has(allowed?.index)).toBe(true);
    const entries = await world.plane.audit.entries(0, await world.plane.audit.size());
    const completed = outcomes.find((e) => e.tool === 'fs/read_text_file');
    expect(completed).toMatchObject({
      agent: agent.id,
      action: 'tools/call',
      upstream: 'fs',
      labels: ['untrusted'],
      resultBytes: expect.any(Number) as number,
      payloads: { result: expect.stringMatching(/^sha256:/) as string },
    });
    expect(
      entries.some(
        ({ entry }) => entry.includes('meeting at noon') || entry.includes('outside secret'),
      ),
    ).toBe(false);
  });
});

describe('memory and everything', () => {
  it('memory: entities written through the gateway are read back', async () => {
    await client('legacy').callTool({
      name: 'memory/create_entities',
      arguments: {
        entities: [{ name: 'zt4ai', entityType: 'project', observations: ['guards MCP'] }],
      },
    });
    const graph = await client('modern').callTool({ name: 'memory/read_graph', arguments: {} });
    expect(textOf(graph)).toContain('guards MCP');
  });

  it('hidden, unpinned and absent tools are all "Unknown tool" (-32602), and recorded', async () => {
    for (const name of ['everything/echo', 'fs/write_file', 'nowhere/tool']) {
      const error = await rejection(
        client('modern').callTool({ name, arguments: { message: 'x' } }),
      );
      expect(error.code).toBe(WIRE_CODES.unknown);
      expect(error.message).toContain(`Unknown tool: ${name}`);
    }
    const legacy = await rejection(
      client('legacy').callTool({ name: 'everything/echo', arguments: {} }),
    );
    expect(legacy.code).toBe(-32602);
    const reasons = (await world.events('mcp.call.rejected')).map((e) => [e.tool, e.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['everything/echo', 'hidden'],
        ['fs/write_file', 'not-pinned'],
        ['nowhere/tool', 'unknown'],
      ]),
    );
  });

  it('when tool pinning cannot answer, no upstream tool is listed or callable', async () => {
    world.pins.failing = true;
    try {
      const names = (await client('modern').listTools()).tools.map((t) => t.name);
      expect(names).toEqual(['admin/export_all_credentials']);
      const error = await rejection(
        client('legacy').callTool({
          name: 'fs/read_text_file',
          arguments: { path: join(root, 'notes.txt') },
        }),
      );
      expect(error.code).toBe(WIRE_CODES.unknown);
      const rejected = await world.events('mcp.call.rejected');
      expect(rejected.at(-1)).toMatchObject({
        tool: 'fs/read_text_file',
        reason: 'pin-review-failed',
      });
    } finally {
      world.pins.failing = false;
    }
  });

  it('a stdio upstream gets PATH, HOME and what its configuration grants — nothing else', async () => {
    const env = JSON.parse(
      textOf(await client('legacy').callTool({ name: 'everything/get-env', arguments: {} })),
    ) as Record<string, string>;
    expect(env.GREETING).toBe('granted-by-config');
    expect(env.PATH).toBe(process.env.PATH);
    expect(env[CANARY]).toBeUndefined();
    for (const name of ['USER', 'LOGNAME', 'SHELL', 'TERM', 'ZT4AI_ISSUER'])
      expect(env[name]).toBeUndefined();
    expect(Object.keys(env).filter((k) => !['PATH', 'HOME', 'GREETING'].includes(k))).toEqual([]);
  });

  it('a honeytoken is listed but every call is denied', async () => {
    const result = await client('modern').callTool({
      name: 'admin/export_all_credentials',
      arguments: {},
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Denied: this tool is not available');
    const decision = (await world.events('guard.decision')).find(
      (e) => e.tool === 'admin/export_all_credentials',
    );
    expect(decision).toMatchObject({ decision: 'deny', severity: 'critical' });
  });

  it('prompts/get goes through the guard', async () => {
    const prompts = (await client('legacy').listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('everything/simple-prompt');
    const prompt = await client('modern').getPrompt({ name: 'everything/simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const decision = (await world.events('guard.decision')).find((e) => e.action === 'prompts/get');
    expect(decision).toMatchObject({ tool: 'everything/simple-prompt', decision: 'allow' });
  });

  it('resources/read goes through the guard, which checks the URI like any URL', async () => {
    const uris = (await client('modern').listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('memory/memory://knowledge-graph');
    const error = await rejection(
      client('legacy').readResource({ uri: 'memory/memory://knowledge-graph' }),
    );
    expect(error.code).toBe(WIRE_CODES.denied);
    expect(error.message).toContain('the destination is not on the egress allow list');
    const decision = (await world.events('guard.decision')).find(
      (e) => e.action === 'resources/read',
    );
    expect(decision).toMatchObject({ tool: 'memory/memory://knowledge-graph', decision: 'deny' });
  });
});

describe('labels and taint', () => {
  it('results are labelled: configured labels and what the detectors find', async () => {
    await client('legacy').callTool({ name: 'fs/list_directory', arguments: { path: root } });
    await client('legacy').callTool({
      name: 'fs/read_text_file',
      arguments: { path: join(root, 'contacts.txt') },
    });
    const completed = await world.events('mcp.call.completed');
    expect(completed.find((e) => e.tool === 'fs/list_directory')?.labels).toEqual([]);
    expect(
      completed.filter((e) => e.tool === 'fs/read_text_file').map((e) => e.labels),
    ).toContainEqual(['pii', 'untrusted']);
  });

  it('after untrusted content, a privileged tool needs a human: the pending request is shown', async () => {
    const fresh = await world.addAgent();
    await world.grant(fresh, ['tools/call:fs/*', 'tools/call:everything/get-sum']);
    const other = await world.connect('modern', fresh);
    const before = await other.callTool({ name: 'everything/get-sum', arguments: { a: 2, b: 3 } });
    expect(textOf(before)).toContain('5');
    await other.callTool({
      name: 'fs/read_text_file',
      arguments: { path: join(root, 'notes.txt') },
    });
    // The taint is the agent's, not the connection's: a new 2025-era session does not shed it.
    const reconnected = await world.connect('legacy', fresh);
    const after = await reconnected.callTool({
      name: 'everything/get-sum',
      arguments: { a: 2, b: 3 },
    });
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/^Approval required \(pending request grt_[A-Za-z0-9_-]+\): /);
    const decision = after._meta?.['io.zt4ai/decision'] as {
      decision: string;
      pendingRequest: string;
    };
    expect(decision.decision).toBe('approval_required');
    expect((await world.plane.grants.grants.get(decision.pendingRequest)).status).toBe('pending');
  });
});

describe('authentication', () => {
  const post = (headers: Record<string, string>): Promise<Response> =>
    fetch(world.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  it('no certificate, no proof, a replayed proof: 401 with WWW-Authenticate: AgentCert', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(
      /^AgentCert realm=".+", error="invalid_token"/,
    );
    expect(await none.json()).toEqual({
      error: { code: 'token-malformed', message: expect.any(String) as string },
    });
    const certificate = await agent.identity.certificate();
    const noProof = await post({ authorization: `AgentCert ${certificate}` });
    expect(noProof.status).toBe(401);
    expect(((await noProof.json()) as { error: { code: string } }).error.code).toBe(
      'proof-missing',
    );
    const proof = await agent.identity.proof('POST', world.endpoint.href);
    const first = await post({ authorization: `AgentCert ${certificate}`, dpop: proof });
    expect(first.status).not.toBe(401);
    await first.body?.cancel();
    const replayed = await post({ authorization: `AgentCert ${certificate}`, dpop: proof });
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe(
      'proof-replayed',
    );
    const elsewhere = await agent.identity.proof('POST', `${world.url}/api/identity/whoami`);
    const wrongUrl = await post({ authorization: `AgentCert ${certificate}`, dpop: elsewhere });
    expect(((await wrongUrl.json()) as { error: { code: string } }).error.code).toBe(
      'proof-url-mismatch',
    );
    // Each refusal code at this endpoint is in the audit log (the first of its window at once).
    await world.plane.audit.flush();
    const refused = await world.events('identity.authentication.refused');
    expect(refused.filter((e) => e.endpoint === world.endpoint.href).map((e) => e.code)).toEqual(
      expect.arrayContaining([
        'token-malformed',
        'proof-missing',
        'proof-replayed',
        'proof-url-mismatch',
      ]),
    );
  });

  it('the official client without the agent identity cannot connect', async () => {
    const { Client } = await import('@modelcontextprotocol/client');
    const anonymous = new Client({ name: 'anonymous', version: '1.0.0' });
    await expect(
      anonymous.connect(new StreamableHTTPClientTransport(world.endpoint)),
    ).rejects.toThrow();
  });

  it('a 2025-era session belongs to its agent: another agent naming it gets 404', async () => {
    const intruder = await world.addAgent();
    const sessionId =
      (client('legacy') as unknown as { transport?: { sessionId?: string } }).transport
        ?.sessionId ?? '';
    expect(sessionId).not.toBe('');
    const response = await intruder.identity.fetch(world.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': LEGACY,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
    expect(await client('legacy').listTools()).toBeDefined();
  });
});
