// The MCP Inspector CLI (`@modelcontextprotocol/inspector-cli`, a second real MCP client, built on
// the 1.x SDK) against the gateway's /mcp. The inspector takes only static headers, and the gateway
// wants a fresh single-use proof per request, so it talks to a forwarder on 127.0.0.1 that adds the
// agent's certificate and a new proof to each request (support/mcp-conformance-forwarder.ts); the
// last test shows why: the same credentials given as static headers are refused at the second
// request.
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forwarder, startForwarder } from './support/mcp-conformance-forwarder.js';
import { EVERYTHING_SERVER, type McpWorld, mcpWorld } from './support/mcp-world.js';
import { cleanupStores } from './support/stores.js';

/** The inspector's CLI mode, as `npx mcp-inspector-cli --cli …` runs it. */
const INSPECTOR = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/inspector-cli/build/cli.js',
    import.meta.url,
  ),
);

interface InspectorRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let world: McpWorld;
let forwarder: Forwarder;

beforeAll(async () => {
  world = await mcpWorld({
    tools: [
      { name: 'everything/echo', sink: 'internal' },
      { name: 'everything/get-sum', sink: 'internal' },
    ],
    mcp: {
      upstreams: [
        {
          name: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [EVERYTHING_SERVER, 'stdio'],
        },
      ],
    },
  });
  await world.grant(world.agent, ['tools/call:everything/echo', 'tools/call:everything/get-sum']);
  forwarder = await startForwarder(world.url, world.agent.identity);
});

afterAll(async () => {
  await forwarder?.close();
  await world?.close();
  await cleanupStores();
});

/** Runs the inspector in CLI mode against `url` with `args`. */
function inspector(url: string, args: readonly string[]): Promise<InspectorRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [INSPECTOR, '--cli', url, '--transport', 'http', ...args],
      // Run from its build directory: the inspector finds its own package.json relative to the
      // working directory (`fs.existsSync('../package.json')`) and fails elsewhere.
      {
        cwd: dirname(INSPECTOR),
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', HOME: world.dir },
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** The JSON the inspector prints for a successful call. */
function output(run: InspectorRun): Record<string, unknown> {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('the MCP Inspector CLI through a credential-adding forwarder', () => {
  it('tools/list shows exactly the tools the agent is granted', async () => {
    const listed = output(await inspector(`${forwarder.url}/mcp`, ['--method', 'tools/list']));
    const names = (listed['tools'] as Array<{ name: string }>).map((t) => t.name).sort();
    expect(names).toEqual(['everything/echo', 'everything/get-sum']);
  });

  it('tools/call returns the upstream result', async () => {
    const result = output(
      await inspector(`${forwarder.url}/mcp`, [
        '--method',
        'tools/call',
        '--tool-name',
        'everything/get-sum',
        '--tool-arg',
        'a=2',
        'b=3',
      ]),
    );
    expect(result).toEqual({ content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }] });
  });

  it('tools/call of a tool without a grant fails as an unknown tool', async () => {
    const run = await inspector(`${forwarder.url}/mcp`, [
      '--method',
      'tools/call',
      '--tool-name',
      'everything/get-env',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('MCP error -32602: Unknown tool: everything/get-env');
  });

  it('every request carried its own proof, and the guard recorded the call', async () => {
    // initialize, notifications/initialized, the method, and the DELETE that ends the session.
    expect(forwarder.forwarded).toBeGreaterThanOrEqual(9);
    const decisions = (await world.events('guard.decision')).filter(
      (e) => e.agent === world.agent.id,
    );
    expect(decisions).toEqual([
      expect.objectContaining({ tool: 'everything/get-sum', decision: 'allow' }),
    ]);
    expect(await world.events('mcp.call.rejected')).toEqual([
      expect.objectContaining({ tool: 'everything/get-env', reason: 'hidden' }),
    ]);
  });

  it('static credential headers are refused at the second request (the proof is single-use)', async () => {
    const url = `${world.url}/mcp`;
    const certificate = await world.agent.identity.certificate();
    const proof = await world.agent.identity.proof('POST', url, { certificate });
    const run = await inspector(url, [
      '--method',
      'tools/list',
      '--header',
      `Authorization: AgentCert ${certificate}`,
      `DPoP: ${proof}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    // initialize was accepted; the next request, with the same proof, was not.
    expect(run.stderr).toContain('Failed to connect to MCP server');
    expect(run.stderr).toContain('{"error":{"code":"proof-replayed"');
  });
});
