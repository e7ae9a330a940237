// A running control plane with the MCP gateway mounted, for the /mcp end-to-end tests: zt4ai.yaml
// in a temp dir (real SQLite store, real guard with the baseline pack, real grants), the Fastify
// server listening on 127.0.0.1, agents holding real @zt4ai/sdk identities that obtain their
// certificates over HTTP, and the official MCP client using `AgentIdentity.fetch` as its fetch.
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AgentIdentity } from '@zt4ai/sdk';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildHttpServer } from '../../src/api/index.js';
import { loadConfig } from '../../src/config/index.js';
import {
  type McpGateway,
  mountMcpEndpoint,
  type PinReviewer,
  ToolPins,
} from '../../src/mcp/index.js';
import { type ControlPlane, openControlPlane, openMcpGateway } from '../../src/server.js';
import { type AuditEvent, auditEvents } from './grants.js';
import { MODEL, PROMPT } from './identity.js';
import { TestPins } from './mcp-pins.js';
import { tempDir } from './stores.js';

/** The reference servers from npm, run with this Node (`process.execPath`). */
const NODE_MODULES = fileURLToPath(new URL('../../../../node_modules/', import.meta.url));
export const FILESYSTEM_SERVER = join(
  NODE_MODULES,
  '@modelcontextprotocol/server-filesystem/dist/index.js',
);
export const MEMORY_SERVER = join(
  NODE_MODULES,
  '@modelcontextprotocol/server-memory/dist/index.js',
);
export const EVERYTHING_SERVER = join(
  NODE_MODULES,
  '@modelcontextprotocol/server-everything/dist/index.js',
);

export const APPROVER = 'alice';
export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';

export type Era = 'legacy' | 'modern';

export interface TestAgent {
  readonly id: string;
  readonly name: string;
  readonly identity: AgentIdentity;
}

export interface McpWorld {
  /** The public base URL (issuer). */
  readonly url: string;
  readonly endpoint: URL;
  readonly plane: ControlPlane;
  readonly gateway: McpGateway;
  readonly app: FastifyInstance;
  readonly pins: TestPins;
  readonly dir: string;
  readonly agent: TestAgent;
  addAgent(): Promise<TestAgent>;
  /** Grants `allow` (ACTION:RESOURCE, wildcards allowed) to the agent, approved by an approver. */
  grant(agent: TestAgent, allow: readonly string[]): Promise<string>;
  connect(era: Era, agent?: TestAgent): Promise<Client>;
  events(type?: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** The `mcp` section of zt4ai.yaml (upstreams and limits). */
  readonly mcp: Record<string, unknown>;
  readonly tools?: readonly Record<string, unknown>[];
  readonly guard?: Record<string, unknown>;
  readonly pins?: PinReviewer;
  /** Extra environment for loading the config (e.g. variables `{env: NAME}` refers to). */
  readonly env?: Record<string, string>;
}

let agents = 0;

export async function mcpWorld(options: WorldOptions): Promise<McpWorld> {
  const dir = tempDir('zt4ai-mcp-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const yaml = {
    dataDir: join(dir, 'data'),
    audit: { batchMaxDelayMs: 0 },
    ...(options.guard === undefined ? {} : { guard: options.guard }),
    ...(options.tools === undefined ? {} : { tools: options.tools }),
    mcp: options.mcp,
    // Containment is off: it would stop agents that later tests reuse (tested on its own).
    remediation: { rules: [] },
  };
  // JSON is YAML: the config file is written as JSON text.
  writeFileSync(join(dir, 'zt4ai.yaml'), JSON.stringify(yaml));
  const config = loadConfig({
    cwd: dir,
    env: { ZT4AI_ISSUER: url, PATH: process.env.PATH, HOME: dir, ...options.env },
    flags: { port, host: '127.0.0.1' },
  });
  const plane = await openControlPlane(config);
  const logger = pino({ level: process.env.ZT4AI_TEST_LOG ?? 'silent' });
  const pins =
    (options.pins as TestPins | undefined) ??
    new TestPins(new ToolPins({ store: plane.store, audit: plane.audit, autoApprove: true }));
  const gateway = await openMcpGateway(plane, { logger, pins });
  const app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: url,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
  });
  await mountMcpEndpoint(app, gateway, {
    publicUrl: url,
    maxMessageBytes: config.mcp.maxMessageBytes,
  });
  // A client socket that never sent a request (undici opens one for a request aborted on close)
  // does not count as idle, and would hold app.close(): the world ends every socket itself.
  const sockets = new Set<Socket>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    if (closing) return void socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await app.listen({ host: '127.0.0.1', port });
  const mission = await plane.identity.createMission(
    {
      name: `mcp-${++agents}`,
      purpose: 'MCP gateway tests',
      allow: { actions: ['tools/call', 'resources/read', 'prompts/get'], tools: ['*'] },
      maxGrantTtlSeconds: 3600,
    },
    'op:setup',
  );
  await plane.grants.operators.set(APPROVER, ['approver']);
  const addAgent = async (): Promise<TestAgent> => {
    const name = `agent-${++agents}-${Math.random().toString(36).slice(2, 8)}`;
    const identity = await AgentIdentity.create({
      issuer: url,
      agent: name,
      model: MODEL,
      prompt: PROMPT,
    });
    const { agent } = await plane.identity.registerAgent(
      {
        name,
        owner: 'alice',
        team: 'finance',
        publicJwk: identity.publicJwk,
        model: MODEL,
        prompt: PROMPT,
        mission: mission.id,
      },
      'op:setup',
    );
    await plane.identity.approveProfile(agent.id, undefined, 'op:setup');
    return { id: agent.id, name, identity };
  };
  const agent = await addAgent();
  const clients: Client[] = [];
  return {
    url,
    endpoint: new URL(`${url}/mcp`),
    plane,
    gateway,
    app,
    pins,
    dir,
    agent,
    addAgent,
    grant: async (to, allow) => {
      const grant = await plane.grants.request(
        { agent: to.id, task: 'mcp tests', allow: [...allow] },
        'op:test',
      );
      if (grant.status === 'pending') await plane.grants.approve(grant.id, APPROVER, 'tests');
      return grant.id;
    },
    connect: async (era, who = agent) => {
      const client = new Client(
        { name: 'zt4ai-test-agent', version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch: who.identity.fetch }),
      );
      clients.push(client);
      return client;
    },
    events: async (type) =>
      (await auditEvents(plane.audit)).filter((e) => type === undefined || e.type === type),
    close: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      closing = true;
      for (const socket of sockets) socket.destroy();
      await app.close();
      await plane.close();
    },
  };
}

/** A free TCP port on 127.0.0.1 (the issuer URL must be known before the server starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.find((c) => c.type === 'text')?.text ?? '';
}
