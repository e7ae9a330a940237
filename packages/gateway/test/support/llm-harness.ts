// A control plane with the LLM gateway mounted and listening on a real port, a fake provider behind
// it, and agents that hold approved profiles, task grants and an `AgentIdentity` from @zt4ai/sdk —
// so that the official clients can be pointed at the gateway with `fetch: agent.fetch`.
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentIdentity } from '@zt4ai/sdk';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pg from 'pg';
import { pino } from 'pino';
import { buildHttpServer } from '../../src/api/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { PromptConfig } from '../../src/identity/index.js';
import { type LlmGateway, registerLlmRoutes } from '../../src/llm/index.js';
import { type McpGateway, mountMcpEndpoint } from '../../src/mcp/index.js';
import {
  type ControlPlane,
  openControlPlane,
  openLlmGateway,
  openMcpGateway,
} from '../../src/server.js';
import { type FakeProvider, startFakeProvider } from './llm-upstream.js';
import { freshSchema, POSTGRES_URL, tempDir } from './stores.js';

export const SYSTEM_TEMPLATE =
  'You are the billing assistant of {{company:text(40)}}. Today is {{today:date}}. Never reveal card numbers.';
export const SYSTEM_PROMPT =
  'You are the billing assistant of Acme Corp. Today is 2026-11-26. Never reveal card numbers.';

/** Tool definitions as the agent's prompt configuration holds them (neutral form, namespaced). */
export const DB_QUERY_TOOL = {
  name: 'db/query',
  description: 'Read-only queries on the billing database',
  parameters: {
    type: 'object' as const,
    properties: { sql: { type: 'string' } },
    required: ['sql'],
    additionalProperties: false,
  },
};
export const SHELL_TOOL = {
  name: 'shell/exec',
  description: 'Runs a shell command',
  parameters: {
    type: 'object' as const,
    properties: { command: { type: 'string' } },
    required: ['command'],
    additionalProperties: false,
  },
};

/** The same tools as an OpenAI client sends them (`server__tool` function names). */
export const OPENAI_TOOLS = [DB_QUERY_TOOL, SHELL_TOOL].map((tool) => ({
  type: 'function' as const,
  function: {
    name: tool.name.replace('/', '__'),
    description: tool.description,
    parameters: tool.parameters,
  },
}));
export const RESPONSES_TOOLS = OPENAI_TOOLS.map((tool) => ({
  type: 'function' as const,
  ...tool.function,
  strict: null,
}));
export const ANTHROPIC_TOOLS = [DB_QUERY_TOOL, SHELL_TOOL].map((tool) => ({
  name: tool.name.replace('/', '__'),
  description: tool.description,
  input_schema: tool.parameters,
}));

export const PROFILES = {
  openai: {
    model: { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' },
    wireModel: 'gpt-4o-2024-08-06',
  },
  anthropic: {
    model: { provider: 'anthropic', name: 'claude-sonnet-4-5', version: '20250929' },
    wireModel: 'claude-sonnet-4-5-20250929',
  },
} as const;

export interface TestAgent {
  readonly id: string;
  readonly name: string;
  readonly model: (typeof PROFILES)[keyof typeof PROFILES]['model'];
  readonly wireModel: string;
  readonly privateJwk: JWK;
  readonly identity: AgentIdentity;
  /** `identity.fetch`: attaches certificate and proof to every request. */
  readonly fetch: typeof fetch;
}

export interface LlmHarness {
  readonly plane: ControlPlane;
  readonly app: FastifyInstance;
  readonly gateway: LlmGateway;
  /** The MCP gateway, mounted at /mcp when the harness was given an `mcp` section. */
  readonly mcp: McpGateway | undefined;
  readonly provider: FakeProvider;
  /** The gateway's base URL (also the issuer URL), `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly openai: TestAgent;
  readonly anthropic: TestAgent;
  /** Another agent, for tests that must not share buckets, budgets or grants. */
  agent(name: string, options?: AgentOptions): Promise<TestAgent>;
  close(): Promise<void>;
}

export interface AgentOptions {
  readonly kind?: keyof typeof PROFILES;
  readonly params?: Record<string, unknown>;
  /** Tool grants besides llm/complete (default `tools/call:db/query`). */
  readonly toolGrants?: readonly string[];
}

export interface HarnessOptions {
  readonly driver?: 'sqlite' | 'postgres';
  /** The `llm` section besides `providers` (budgets, rate limits, …). */
  readonly llm?: Record<string, unknown>;
  readonly missionBudget?: { limit: number; currency?: string; period?: string };
  /** Prompt params of the agents' profiles (default `{temperature: 0}`). */
  readonly params?: Record<string, unknown>;
  /** An `mcp` section: the MCP gateway is mounted at /mcp too. */
  readonly mcp?: Record<string, unknown>;
  /** Tools configured besides the harness's own (e.g. honeytokens). */
  readonly tools?: readonly Record<string, unknown>[];
  /** The `remediation` section (default: no rules, so nothing is contained). */
  readonly remediation?: Record<string, unknown>;
}

const TOOLS = [
  { name: 'db/query', argKinds: { sql: 'sql' }, sink: 'internal', sqlDialect: 'postgresql' },
  { name: 'shell/exec', argKinds: { command: 'command' }, privileged: true },
  { name: 'openai/gpt-4o' },
  { name: 'anthropic/claude-sonnet-4-5' },
];

export async function startLlmHarness(options: HarnessOptions = {}): Promise<LlmHarness> {
  const provider = await startFakeProvider();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = tempDir('zt4ai-llm-');
  writeFileSync(
    join(dir, 'zt4ai.yaml'),
    JSON.stringify({
      tools: [...TOOLS, ...(options.tools ?? [])],
      ...(options.mcp === undefined ? {} : { mcp: options.mcp }),
      // Containment is off unless a test asks for it: it would stop agents other tests reuse.
      remediation: options.remediation ?? { rules: [] },
      llm: {
        providers: [
          {
            id: 'openai',
            kind: 'openai',
            baseUrl: `${provider.origin}/v1`,
            apiKey: 'sk-test-openai',
          },
          {
            id: 'anthropic',
            kind: 'anthropic',
            baseUrl: provider.origin,
            apiKey: { env: 'TEST_ANTHROPIC_KEY' },
          },
        ],
        timeoutMs: 1500,
        ...options.llm,
      },
      audit: { batchMaxDelayMs: 1 },
    }),
  );
  const env: Record<string, string> = { ZT4AI_ISSUER: url, TEST_ANTHROPIC_KEY: 'sk-ant-test' };
  if (options.driver === 'postgres') env.ZT4AI_DATABASE_URL = await postgresUrl();
  const config = loadConfig({ cwd: dir, env, flags: { dataDir: dir } });
  const plane = await openControlPlane(config);
  const logger = pino({ level: 'silent' });
  const gateway = await openLlmGateway(plane, { logger });
  if (gateway === undefined) throw new Error('the LLM gateway was not built');
  const app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: url,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
  });
  registerLlmRoutes(app, gateway, { maxRequestBytes: config.llm.maxRequestBytes });
  const mcp = options.mcp === undefined ? undefined : await openMcpGateway(plane, { logger });
  if (mcp !== undefined)
    await mountMcpEndpoint(app, mcp, {
      publicUrl: url,
      maxMessageBytes: config.mcp.maxMessageBytes,
    });
  await app.listen({ host: '127.0.0.1', port });
  const mission = await plane.identity.createMission(
    {
      name: `billing-${port}`,
      purpose: 'answer billing questions',
      allow: {
        actions: ['tools/call', 'llm/complete'],
        tools: options.mcp === undefined ? TOOLS.map((t) => t.name) : ['*'],
      },
      ...(options.missionBudget === undefined
        ? {}
        : { budget: { currency: 'USD', period: 'month', ...options.missionBudget } }),
    },
    'op',
  );
  await plane.grants.operators.set('approver', ['approver']);
  const make = (name: string, agent: AgentOptions = {}): Promise<TestAgent> =>
    registerAgent(plane, url, mission.id, name, {
      kind: agent.kind ?? 'openai',
      params: agent.params ?? options.params ?? { temperature: 0 },
      toolGrants: agent.toolGrants ?? ['tools/call:db/query'],
    });
  const openai = await make('billing-bot');
  const anthropic = await make('claude-bot', { kind: 'anthropic' });
  return {
    plane,
    app,
    gateway,
    mcp,
    provider,
    url,
    openai,
    anthropic,
    agent: make,
    close: async () => {
      // Every test request is answered by now. A keep-alive connection that fetch (undici) left
      // after an aborted stream is not reaped by Fastify's close: close them all.
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      await gateway.drain();
      await plane.close();
      await provider.close();
    },
  };
}

async function registerAgent(
  plane: ControlPlane,
  url: string,
  mission: string,
  name: string,
  { kind, params, toolGrants }: Required<AgentOptions>,
): Promise<TestAgent> {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const { model, wireModel } = PROFILES[kind];
  const prompt = {
    template: SYSTEM_TEMPLATE,
    tools: structuredClone([DB_QUERY_TOOL, SHELL_TOOL]) as unknown as PromptConfig['tools'],
    params: params as PromptConfig['params'],
  };
  const { agent } = await plane.identity.registerAgent(
    {
      name,
      owner: 'billing-team-lead',
      team: 'billing',
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x },
      model,
      prompt,
      mission,
    },
    'op',
  );
  await plane.identity.approveProfile(agent.id, undefined, 'op');
  const grant = await plane.grants.request(
    {
      agent: agent.id,
      task: 'answer billing questions',
      allow: [`llm/complete:${model.provider}/${model.name}`, ...toolGrants],
      ttlSeconds: 3600,
    },
    'op',
  );
  if (grant.status !== 'active') await plane.grants.approve(grant.id, 'approver', 'test');
  const identity = await AgentIdentity.create({
    issuer: url,
    agent: name,
    key: { privateJwk },
    model,
    prompt,
  });
  return { id: agent.id, name, model, wireModel, privateJwk, identity, fetch: identity.fetch };
}

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh schema on the test PostgreSQL server, as a connection URL whose search_path is it. */
async function postgresUrl(): Promise<string> {
  const schema = freshSchema();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema if not exists ${schema}`);
  await client.end();
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  return `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** The last `count` audit entries, parsed. */
export async function auditEvents(
  plane: ControlPlane,
  count = 1000,
): Promise<Array<Record<string, unknown> & { index: number; type: string }>> {
  await plane.audit.flush();
  return (await plane.audit.tail(count)).map(
    (entry) => JSON.parse(entry.entry) as Record<string, unknown> & { index: number; type: string },
  );
}

/** The decrypted payload `name` of an audit event. */
export async function payload(
  plane: ControlPlane,
  event: Record<string, unknown>,
  name: string,
): Promise<string> {
  const digests = event.payloads as Record<string, string> | undefined;
  const digest = digests?.[name];
  if (digest === undefined) throw new Error(`no payload "${name}" in ${String(event.type)}`);
  return Buffer.from(await plane.audit.readPayload(digest, 'test')).toString('utf8');
}

/** The events about one gateway call (`zt4ai-call` header), in log order. */
export async function callEvents(
  plane: ControlPlane,
  call: string,
): Promise<Array<Record<string, unknown> & { index: number; type: string }>> {
  return (await auditEvents(plane)).filter((event) => event.call === call);
}
