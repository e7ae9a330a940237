// Upstreams over the network: Streamable HTTP (a small SDK server in this process that records
// what reaches it) and the legacy HTTP+SSE transport (the reference `everything` server from npm in
// its `sse` mode). The gateway's own credentials for an upstream come from its configuration; the
// agent's certificate and proof never travel upstream.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVERYTHING_SERVER,
  freePort,
  type McpWorld,
  mcpWorld,
  textOf,
} from './support/mcp-world.js';
import { cleanupStores } from './support/stores.js';

const UPSTREAM_TOKEN = 'upstream-token-from-the-gateway-config';

let world: McpWorld;
let recorder: { server: HttpServer; url: string; seen: IncomingHttpHeaders[] };
let sse: { child: ChildProcess; url: string };
let agent: Client;

beforeAll(async () => {
  recorder = await recordingUpstream();
  sse = await everythingOverSse();
  world = await mcpWorld({
    env: { UPSTREAM_TOKEN },
    mcp: {
      upstreams: [
        {
          name: 'remote',
          transport: 'http',
          url: recorder.url,
          headers: { 'x-upstream-token': { env: 'UPSTREAM_TOKEN' } },
        },
        {
          name: 'legacy-sse',
          transport: 'sse',
          url: sse.url,
          headers: { 'x-upstream-token': 'inline-token' },
        },
      ],
    },
  });
  await world.grant(world.agent, ['tools/call:remote/*', 'tools/call:legacy-sse/*']);
  agent = await world.connect('modern');
});

afterAll(async () => {
  await world.close();
  sse.child.kill('SIGKILL');
  await new Promise((resolve) => recorder.server.close(resolve));
  await cleanupStores();
});

describe('Streamable HTTP upstream', () => {
  it('lists and calls its tools under its name', async () => {
    const names = (await agent.listTools()).tools.map((t) => t.name);
    expect(names).toContain('remote/whoami');
    const result = await agent.callTool({ name: 'remote/whoami', arguments: {} });
    expect(textOf(result)).toBe('remote says hello');
  });

  it("receives the configured credential, and nothing of the agent's", async () => {
    expect(recorder.seen.length).toBeGreaterThan(0);
    for (const headers of recorder.seen) {
      expect(headers['x-upstream-token']).toBe(UPSTREAM_TOKEN);
      expect(headers.dpop).toBeUndefined();
      expect(String(headers.authorization ?? '')).not.toContain('AgentCert');
    }
  });

  it('an upstream that goes away is reported (-32051) and used again once it is back', async () => {
    const port = Number(new URL(recorder.url).port);
    await new Promise((resolve) => recorder.server.close(resolve));
    recorder.server.closeAllConnections();
    const error = await agent.callTool({ name: 'remote/whoami', arguments: {} }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(error?.code).toBe(-32051);
    recorder = await recordingUpstream(port);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the back-off after a failed start
    expect(textOf(await agent.callTool({ name: 'remote/whoami', arguments: {} }))).toBe(
      'remote says hello',
    );
  });
});

describe('legacy HTTP+SSE upstream', () => {
  it("lists and calls the everything server's tools", async () => {
    const names = (await agent.listTools()).tools.map((t) => t.name);
    expect(names).toContain('legacy-sse/echo');
    const result = await agent.callTool({
      name: 'legacy-sse/echo',
      arguments: { message: 'over sse' },
    });
    expect(textOf(result)).toContain('over sse');
  });
});

/** A stateless Streamable HTTP MCP server with one tool, recording the headers of every request. */
async function recordingUpstream(
  port = 0,
): Promise<{ server: HttpServer; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = recorder?.seen ?? [];
  const handler = createMcpHandler(() => {
    const server = new Server(
      { name: 'recorder', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler('tools/list', async () => ({
      tools: [{ name: 'whoami', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler('tools/call', async () => ({
      content: [{ type: 'text', text: 'remote says hello' }],
    }));
    return server;
  });
  const server = createServer((request, response) => {
    seen.push(request.headers);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string') headers.set(name, value);
      const body = request.method === 'POST' ? Buffer.concat(chunks) : undefined;
      void handler
        .fetch(
          new Request(`http://127.0.0.1${request.url ?? '/'}`, {
            method: request.method ?? 'GET',
            headers,
            ...(body === undefined ? {} : { body }),
          }),
        )
        .then(async (answer) => {
          response.writeHead(answer.status, Object.fromEntries(answer.headers));
          response.end(Buffer.from(await answer.arrayBuffer()));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return { server, url: `http://127.0.0.1:${actual}/mcp`, seen };
}

/** The reference everything server in its legacy HTTP+SSE mode, once it listens. */
async function everythingOverSse(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_SERVER, 'sse'], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('running on port')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`everything exited with ${String(code)}: ${output}`)),
    );
  });
  return { child, url: `http://127.0.0.1:${port}/sse` };
}
