// Local mode end to end: the built `zt4ai mcp-proxy` started the way a desktop MCP client starts a
// server (the official MCP client's StdioClientTransport), in front of the filesystem reference
// server from npm, on a data directory the test prepared (real SQLite store, baseline policies,
// real grants and tool pinning with trust on first use). What the desktop client sees, what the
// guard decides, what the audit log keeps, and that the proxy fails closed for an agent that is
// not active or not holding its registered key.
import { realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client, ProtocolError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { AgentIdentity } from '@zt4ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../src/config/index.js';
import { PROXY_CODES, WIRE_CODES } from '../src/mcp/index.js';
import { openControlPlane } from '../src/server.js';
import { type AuditEvent, auditEvents } from './support/grants.js';
import { MODEL, PROMPT } from './support/identity.js';
import { FILESYSTEM_SERVER, textOf } from './support/mcp-world.js';
import { CLI_PATH, runCli, STACK_FRAME } from './support/process.js';
import { cleanupStores, tempDir } from './support/stores.js';

const APPROVER = 'alice';

let dir: string;
let root: string;
let outside: string;
let configFile: string;
let config: Config;
let missionId: string;

beforeAll(async () => {
  dir = tempDir('zt4ai-proxy-');
  root = realpathSync(tempDir('zt4ai-proxy-root-'));
  outside = realpathSync(tempDir('zt4ai-proxy-outside-'));
  writeFileSync(join(root, 'notes.txt'), 'meeting at noon in room 4');
  writeFileSync(join(outside, 'secret.txt'), 'the outside secret');
  configFile = join(dir, 'zt4ai.yaml');
  // JSON is YAML.
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      audit: { batchMaxDelayMs: 0 },
      guard: { pathRoots: [root] },
      tools: [
        { name: 'fs/read_text_file', sink: 'internal', resultLabels: ['untrusted'] },
        { name: 'fs/list_directory', sink: 'internal' },
        { name: 'fs/get_file_info', privileged: true, sink: 'internal' },
      ],
      mcp: { autoApproveTools: true },
    }),
  );
  config = loadConfig({ cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  missionId = await withPlane(async (plane) => {
    await plane.grants.operators.set(APPROVER, ['approver']);
    const mission = await plane.identity.createMission(
      {
        name: 'desktop',
        purpose: 'local mode tests',
        allow: { actions: ['tools/call', 'resources/read', 'prompts/get'], tools: ['*'] },
        maxGrantTtlSeconds: 3600,
      },
      'op:setup',
    );
    return mission.id;
  });
});

afterAll(async () => {
  await cleanupStores();
});

async function withPlane<T>(
  work: (plane: Awaited<ReturnType<typeof openControlPlane>>) => Promise<T>,
): Promise<T> {
  const plane = await openControlPlane(config);
  try {
    return await work(plane);
  } finally {
    await plane.close();
  }
}

interface LocalAgent {
  readonly id: string;
  readonly name: string;
  /** The identity file the proxy is started with. */
  readonly identityFile: string;
}

let agents = 0;

/** Registers an agent with a key file, approves its profile, and grants it `allow`. */
async function localAgent(allow: readonly string[]): Promise<LocalAgent> {
  const name = `desktop-${++agents}`;
  const keyFile = join(dir, `${name}.key`);
  const identity = await AgentIdentity.create({
    issuer: config.identity.issuer,
    agent: name,
    model: MODEL,
    prompt: PROMPT,
    key: { file: keyFile },
  });
  const id = await withPlane(async (plane) => {
    const { agent } = await plane.identity.registerAgent(
      {
        name,
        owner: 'alice',
        team: 'finance',
        publicJwk: identity.publicJwk,
        model: MODEL,
        prompt: PROMPT,
        mission: missionId,
      },
      'op:setup',
    );
    await plane.identity.approveProfile(agent.id, undefined, 'op:setup');
    if (allow.length > 0) {
      const grant = await plane.grants.request(
        { agent: agent.id, task: 'local mode tests', allow: [...allow] },
        'op:test',
      );
      if (grant.status === 'pending') await plane.grants.approve(grant.id, APPROVER, 'tests');
    }
    return agent.id;
  });
  const identityFile = join(dir, `${name}.identity.yaml`);
  writeFileSync(
    identityFile,
    JSON.stringify({
      agent: name,
      key: `${name}.key`,
      model: `${MODEL.provider}/${MODEL.name}@${MODEL.version}`,
      prompt: PROMPT,
    }),
  );
  return { id, name, identityFile };
}

/** The proxy's command line, as a desktop client's config would hold it. */
function proxyArgs(agent: LocalAgent): string[] {
  return [
    CLI_PATH,
    '--config',
    configFile,
    'mcp-proxy',
    '--identity',
    agent.identityFile,
    '--name',
    'fs',
    '--',
    process.execPath,
    FILESYSTEM_SERVER,
    root,
  ];
}

/** Starts the proxy the way a desktop client does, and connects to it. */
async function desktopClient(agent: LocalAgent): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: proxyArgs(agent),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    cwd: tmpdir(),
    stderr: 'pipe',
  });
  const chunks: Buffer[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const stderr = (): string => Buffer.concat(chunks).toString('utf8');
  const client = new Client({ name: 'claude-desktop-stand-in', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr };
}

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('mcp-proxy in front of the filesystem server', () => {
  let agent: LocalAgent;
  let desktop: Client;
  let events: AuditEvent[];

  beforeAll(async () => {
    agent = await localAgent(['tools/call:fs/read_text_file', 'tools/call:fs/list_directory']);
    desktop = (await desktopClient(agent)).client;
  });

  afterAll(async () => {
    await desktop?.close();
  });

  it('lists the granted tools under the server’s own names', async () => {
    const names = (await desktop.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['list_directory', 'read_text_file']);
  });

  it('passes a read inside the root', async () => {
    const result = await desktop.callTool({
      name: 'read_text_file',
      arguments: { path: join(root, 'notes.txt') },
    });
    expect(result.isError).not.toBe(true);
    expect(textOf(result)).toBe('meeting at noon in room 4');
  });

  it('denies a ../ escape', async () => {
    const result = await desktop.callTool({
      name: 'read_text_file',
      arguments: { path: `${root}/../${basename(outside)}/secret.txt` },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Denied: the path leaves the allowed roots');
    expect(result._meta?.['io.zt4ai/decision']).toEqual({
      decision: 'deny',
      reasons: ['the path leaves the allowed roots'],
    });
  });

  it('refuses a tool without a grant as unknown', async () => {
    const error = await rejection(
      desktop.callTool({
        name: 'write_file',
        arguments: { path: join(root, 'new.txt'), content: 'x' },
      }),
    );
    expect(error.code).toBe(WIRE_CODES.unknown);
    expect(error.message).toContain('Unknown tool: fs/write_file');
  });

  describe('the audit log', () => {
    beforeAll(async () => {
      await desktop.close();
      events = (await withPlane((plane) => auditEvents(plane.audit))).filter(
        (e) => e.agent === agent.id,
      );
    });

    it('holds the allowed read and its outcome', () => {
      const allowed = events.filter(
        (e) =>
          e.type === 'guard.decision' && e.tool === 'fs/read_text_file' && e.decision === 'allow',
      );
      expect(allowed).toHaveLength(1);
      const completed = events.filter((e) => e.type === 'mcp.call.completed');
      expect(completed).toEqual([
        expect.objectContaining({ tool: 'fs/read_text_file', upstream: 'fs' }),
      ]);
    });

    it('holds the denied escape with its reason', () => {
      const denied = events.filter((e) => e.type === 'guard.decision' && e.decision === 'deny');
      expect(denied).toEqual([
        expect.objectContaining({
          tool: 'fs/read_text_file',
          reasons: ['the path leaves the allowed roots'],
        }),
      ]);
    });

    it('holds the call without a grant as rejected (hidden)', () => {
      expect(events.filter((e) => e.type === 'mcp.call.rejected')).toEqual([
        expect.objectContaining({ tool: 'fs/write_file', reason: 'hidden' }),
      ]);
    });
  });
});

describe('two proxies of one agent', () => {
  it('share its taint labels: untrusted content read through one makes a privileged call through the other wait for a human', async () => {
    const agent = await localAgent(['tools/call:fs/read_text_file', 'tools/call:fs/get_file_info']);
    const reader = (await desktopClient(agent)).client;
    const other = (await desktopClient(agent)).client;
    try {
      const info = { name: 'get_file_info', arguments: { path: join(root, 'notes.txt') } };
      expect((await other.callTool(info)).isError).not.toBe(true);
      await reader.callTool({
        name: 'read_text_file',
        arguments: { path: join(root, 'notes.txt') },
      });
      const after = await other.callTool(info);
      expect(after.isError).toBe(true);
      expect(textOf(after)).toMatch(/^Approval required \(pending request grt_[A-Za-z0-9_-]+\): /);
    } finally {
      await reader.close();
      await other.close();
    }
  });
});

describe('mcp-proxy fails closed', () => {
  it('refuses every call once the agent is quarantined', async () => {
    const agent = await localAgent(['tools/call:fs/read_text_file']);
    const { client } = await desktopClient(agent);
    try {
      const read = { name: 'read_text_file', arguments: { path: join(root, 'notes.txt') } };
      expect(textOf(await client.callTool(read))).toBe('meeting at noon in room 4');
      await withPlane((plane) =>
        plane.identity.setStatus(agent.id, 'quarantined', 'op:test', 'tests'),
      );
      const error = await rejection(client.callTool(read));
      expect(error.code).toBe(PROXY_CODES.credentialsRefused);
      expect(error.message).toBe("zt4ai refused the agent's credentials (agent-not-active)");
      expect(error.data).toEqual({ code: 'agent-not-active' });
      expect(JSON.stringify(error)).not.toContain(STACK_FRAME);
    } finally {
      await client.close();
    }
  });

  it('does not start for an agent that is not active', async () => {
    const agent = await localAgent([]);
    await withPlane((plane) => plane.identity.setStatus(agent.id, 'retired', 'op:test', 'tests'));
    const result = await runCli(proxyArgs(agent).slice(1), { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('[agent-not-active]');
    expect(result.stderr).not.toContain(STACK_FRAME);
  });

  it('does not start with a key that is not the registered one', async () => {
    const agent = await localAgent([]);
    const other = join(dir, `${agent.name}.other.key`);
    await AgentIdentity.create({
      issuer: config.identity.issuer,
      agent: agent.name,
      model: MODEL,
      prompt: PROMPT,
      key: { file: other },
    });
    const identityFile = join(dir, `${agent.name}.other.yaml`);
    writeFileSync(
      identityFile,
      JSON.stringify({ agent: agent.name, key: other, model: MODEL, prompt: PROMPT }),
    );
    const result = await runCli(proxyArgs({ ...agent, identityFile }).slice(1), { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `zt4ai: error [invalid-argument]: the control plane refused a certificate for ${agent.name} (issuance-refused: proof-key-mismatch)`,
    );
    expect(result.stderr).not.toContain(STACK_FRAME);
  });

  it('refuses an identity file with an unknown key or another issuer', async () => {
    const file = join(dir, 'bad.identity.yaml');
    writeFileSync(
      file,
      JSON.stringify({ agent: 'x', key: 'x.key', model: MODEL, prompt: 'p', extra: 1 }),
    );
    const unknownKey = await runCli(
      ['--config', configFile, 'mcp-proxy', '--identity', file, '--', 'true'],
      { cwd: dir },
    );
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('[invalid-argument]');
    writeFileSync(
      file,
      JSON.stringify({
        agent: 'x',
        key: 'x.key',
        model: MODEL,
        prompt: 'p',
        issuer: 'https://elsewhere.example',
      }),
    );
    const otherIssuer = await runCli(
      ['--config', configFile, 'mcp-proxy', '--identity', file, '--', 'true'],
      { cwd: dir },
    );
    expect(otherIssuer.code).toBe(2);
    expect(otherIssuer.stderr).toContain('is not this control plane');
  });

  it('refuses to start without a server to front', async () => {
    const result = await runCli(
      ['--config', configFile, 'mcp-proxy', '--identity', join(dir, 'none.yaml')],
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give the MCP server to start after --');
  });
});
