// The official MCP conformance suite (`@modelcontextprotocol/conformance`, every active server
// scenario) run twice in one test, on the Node 22 binary it needs: directly against the reference
// upstream (`server-everything` over Streamable HTTP), then through the gateway fronting that same
// upstream. Every scenario that passes directly must pass through the gateway, except those listed
// with their reasons in mcp-conformance-expected-failures.yaml — and each listed one must still
// fail through the gateway (and pass directly), so the list cannot go stale.
//
// The suite connects without zt4ai credentials, so its gateway run goes through a forwarder on
// 127.0.0.1 that adds the agent's certificate and a fresh proof to every request, and changes
// nothing else (support/mcp-conformance-forwarder.ts). The agent holds grants for every tool,
// prompt and resource of the upstream; tool pinning approves every tool on first use.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EverythingHttp, startEverythingHttp } from './support/mcp-conformance-everything.js';
import { type Forwarder, startForwarder } from './support/mcp-conformance-forwarder.js';
import { node22, node22Unavailable } from './support/mcp-conformance-node.js';
import {
  failures,
  readExpectedFailures,
  runServerSuite,
  scenarioPassed,
  type SuiteResults,
} from './support/mcp-conformance-suite.js';
import { type McpWorld, mcpWorld } from './support/mcp-world.js';
import { cleanupStores, tempDir } from './support/stores.js';

const EXPECTED_FAILURES = fileURLToPath(
  new URL('./mcp-conformance-expected-failures.yaml', import.meta.url),
);

const unavailable = node22Unavailable();
if (unavailable !== undefined) console.warn(`skipping the MCP conformance suite: ${unavailable}`);

describe.skipIf(unavailable !== undefined)(
  'MCP conformance suite, direct and through the gateway',
  () => {
    let upstream: EverythingHttp;
    let world: McpWorld;
    let forwarder: Forwarder;
    let direct: SuiteResults;
    let gateway: SuiteResults;
    const expected = readExpectedFailures(EXPECTED_FAILURES);

    beforeAll(async () => {
      const node = await node22();
      upstream = await startEverythingHttp();
      world = await mcpWorld({
        mcp: { upstreams: [{ name: 'everything', transport: 'http', url: upstream.url }] },
      });
      await world.grant(world.agent, [
        'tools/call:everything/*',
        'prompts/get:everything/*',
        'resources/read:everything/*',
      ]);
      forwarder = await startForwarder(world.url, world.agent.identity);
      const out = tempDir('zt4ai-conformance-');
      mkdirSync(join(out, 'direct'));
      mkdirSync(join(out, 'gateway'));
      direct = await runServerSuite(node, upstream.url, join(out, 'direct'));
      gateway = await runServerSuite(node, `${forwarder.url}/mcp`, join(out, 'gateway'));
    }, 180_000);

    afterAll(async () => {
      await forwarder?.close();
      await world?.close();
      await upstream?.close();
      await cleanupStores();
    });

    it('ran the same scenarios both ways', () => {
      expect(direct.size).toBeGreaterThan(20);
      expect([...gateway.keys()].sort()).toEqual([...direct.keys()].sort());
    });

    it('every scenario that passes directly passes through the gateway, unless listed', () => {
      const report = [...direct]
        .filter(([scenario, checks]) => scenarioPassed(checks) && !expected.has(scenario))
        .filter(([scenario]) => !scenarioPassed(gateway.get(scenario) ?? []))
        .map(([scenario]) => `${scenario}:\n${failures(gateway.get(scenario) ?? [])}`);
      expect(report).toEqual([]);
    });

    it('lists a reason for every expected failure', () => {
      expect(expected.size).toBeGreaterThan(0);
      for (const reason of expected.values())
        expect(reason).toMatch(/^(Policy, on purpose|Limitation)/);
    });

    it('every listed scenario passes directly and fails through the gateway (none is stale)', () => {
      const stale = [...expected.keys()].filter(
        (scenario) =>
          !scenarioPassed(direct.get(scenario) ?? []) ||
          scenarioPassed(gateway.get(scenario) ?? []),
      );
      expect(stale).toEqual([]);
    });
  },
);
