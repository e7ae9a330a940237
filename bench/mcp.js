// bench:mcp — what the MCP gateway adds to a tools/call round trip, measured against the same call
// sent directly to the same upstream in the same run, with the same client: the official MCP client
// (`@modelcontextprotocol/client`, Streamable HTTP, 2025-11-25 sessions) over loopback.
//
//   upstream  a minimal MCP server with one `echo` tool (`@modelcontextprotocol/server`,
//             createMcpHandler on node:http) in its own process
//   gateway   `zt4ai up` (the built CLI) in its own process, on a fresh SQLite data dir, fronting
//             that upstream as `bench/echo`: certificate + a fresh proof on every request (the
//             agent's AgentIdentity.fetch), tool pinning, a real task grant, the guard with the
//             baseline policies, and the durable audit records of the decision and the outcome
//
//   added latency  = p50 (p99) through the gateway - p50 (p99) direct, calls one at a time, the
//                    direct and gateway blocks interleaved round by round
//   calls/s        = tools/call completed per second through the one gateway process, with
//                    BENCH_CONCURRENCY clients (sessions) calling in parallel
//
// BENCH_PROFILE_DIR=<dir> starts the gateway with `node --cpu-prof --cpu-prof-dir=<dir>`.
// BENCH_RESULT_LABELS=untrusted,… labels every echo result: each call then also shares the agent's
// taint through the store (its labels and the result's sealed values) before passing it on.
// Progress goes to stderr; the last line of stdout is one JSON object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AgentIdentity } from '../packages/sdk/dist/index.js';
import { loadConfig, openControlPlane } from '../packages/gateway/dist/index.js';
import {
  cpuSeconds,
  fmtInt,
  machine,
  median,
  positiveIntEnv,
  processCpuSeconds,
  registerBenchAgent,
  runCleanups,
  summarize,
  verdict,
} from './support.js';

const N = positiveIntEnv('BENCH_N', 1000); // timed calls per path and round
const ROUNDS = positiveIntEnv('BENCH_ROUNDS', 3);
const WARMUP = positiveIntEnv('BENCH_WARMUP', 300); // untimed calls per path before the rounds
const CONCURRENCY = positiveIntEnv('BENCH_CONCURRENCY', 16); // parallel clients for calls/s
const THROUGHPUT_N = positiveIntEnv('BENCH_THROUGHPUT_N', 6000); // calls per throughput block
const RESULT_LABELS = (process.env.BENCH_RESULT_LABELS ?? '').split(',').filter((l) => l !== '');
const TARGETS = { addedP50Ms: 1, addedP99Ms: 3, callsPerS: 2000 };
const CLI = fileURLToPath(new URL('../packages/gateway/dist/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const log = (line) => process.stderr.write(`[bench:mcp] ${line}\n`);

// The MCP client's transport hands one long-lived AbortSignal to every fetch, and undici frees
// each fetch's abort listener only when that request is garbage-collected: with parallel clients
// more than 1,500 are pending between collections, and Node warns once per new listener. Said once.
process.removeAllListeners('warning');
let listenerNote = false;
process.on('warning', (warning) => {
  if (warning.name !== 'MaxListenersExceededWarning') return log(`warning: ${warning.message}`);
  if (!listenerNote) log('note: over 1,500 pending abort listeners on the client transport signal');
  listenerNote = true;
});

// ---------------------------------------------------------------------------------------------
// The upstream: its own process, one `echo` tool, answering at once.

const UPSTREAM = `
import http from 'node:http';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
const TOOL = {
  name: 'echo',
  description: 'Echoes back the message',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
};
const handler = createMcpHandler(() => {
  const server = new Server({ name: 'bench-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [TOOL] }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: String(request.params.arguments?.message ?? '') }],
  }));
  return server;
});
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers.set(name, value);
      const post = req.method === 'POST';
      const request = new Request('http://127.0.0.1' + req.url, { method: req.method, headers, ...(post ? { body } : {}) });
      const response = await handler.fetch(request, post && body.length > 0 ? { parsedBody: JSON.parse(body.toString('utf8')) } : {});
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body !== null) for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch (error) {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startUpstream() {
  const child = spawn(process.execPath, ['--input-type=module', '-e', UPSTREAM], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the upstream process did not start');
  return { url: `http://127.0.0.1:${first.value}/mcp`, pid: child.pid, stop: () => child.kill() };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The control plane: configuration, an agent with a grant, then `zt4ai up` in its own process.

const MODEL = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
const PROMPT = { template: 'You call the echo tool.', tools: [], params: {} };

function writeConfig(dir, port, upstreamUrl) {
  const file = join(dir, 'zt4ai.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      server: { host: '127.0.0.1', port },
      identity: { issuer: `http://127.0.0.1:${port}` },
      log: { level: 'warn' },
      tools: [
        {
          name: 'bench/echo',
          sink: 'internal',
          ...(RESULT_LABELS.length > 0 ? { resultLabels: RESULT_LABELS } : {}),
        },
      ],
      mcp: {
        autoApproveTools: true,
        upstreams: [{ name: 'bench', transport: 'http', url: upstreamUrl }],
      },
    }),
  );
  return file;
}

/** Registers the agent (own Ed25519 key), approves its profile, grants it bench/echo. */
async function setUpAgent(configFile, dir) {
  const config = loadConfig({ cwd: dir, env: {}, flags: { config: configFile } });
  const plane = await openControlPlane(config);
  try {
    const { privateJwk } = await registerBenchAgent(plane, {
      name: 'bench-agent',
      mission: {
        name: 'bench',
        purpose: 'MCP gateway benchmark',
        allow: { actions: ['tools/call'], tools: ['bench/echo'] },
      },
      model: MODEL,
      prompt: PROMPT,
      allow: ['tools/call:bench/echo'],
    });
    return { privateJwk, issuer: config.identity.issuer };
  } finally {
    await plane.close();
  }
}

/** `zt4ai up` in its own process; resolves once it answers /healthz. */
async function startGateway(configFile, issuer, profileDir) {
  const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...flags, CLI, '--config', configFile, 'up'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exitCode;
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  for (let attempt = 0; ; attempt++) {
    if (exitCode !== undefined) throw new Error(`zt4ai up exited with ${exitCode}`);
    const ready = await fetch(`${issuer}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 300) throw new Error('zt4ai up did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Clients and timed calls.

async function connect(url, fetch) {
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }));
  return client;
}

async function call(client, tool, seq) {
  const message = `hello ${seq}`;
  const result = await client.callTool({ name: tool, arguments: { message } });
  if (result.isError === true || result.content?.[0]?.text !== message)
    throw new Error(`unexpected result for ${tool}: ${JSON.stringify(result)}`);
}

async function sequential(client, tool, count) {
  const ms = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    await call(client, tool, k);
    ms[k] = performance.now() - start;
  }
  return summarize(ms);
}

/**
 * `total` calls spread over `clients` in parallel: calls per second over the whole block, and the
 * CPU milliseconds per call each process spent (this one is the client; `pids` names the others).
 */
async function parallel(clients, tool, total, pids = {}) {
  let next = 0;
  const cpuBefore = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]),
  );
  const c0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let seq = next++; seq < total; seq = next++) await call(client, tool, seq);
    }),
  );
  const rate = total / ((performance.now() - start) / 1000);
  const cpuMs = { client: (cpuSeconds(c0) * 1000) / total };
  for (const [name, pid] of Object.entries(pids))
    cpuMs[name] = ((processCpuSeconds(pid) - cpuBefore[name]) * 1000) / total;
  return { rate, cpuMs };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const info = machine();
  if (Number(info.load) > 0.5)
    log(`warning: load average is ${info.load} before the run; figures will be pessimistic`);
  const dir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-mcp-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const upstream = await startUpstream();
    cleanups.unshift(() => upstream.stop());
    const port = await freePort();
    const configFile = writeConfig(dir, port, upstream.url);
    const { privateJwk, issuer } = await setUpAgent(configFile, dir);
    const gateway = await startGateway(configFile, issuer, process.env.BENCH_PROFILE_DIR);
    cleanups.unshift(() => gateway.stop());
    const agent = await AgentIdentity.create({
      issuer,
      agent: 'bench-agent',
      key: { privateJwk },
      model: MODEL,
      prompt: PROMPT,
      ttlSeconds: 3600,
    });
    const endpoint = `${issuer}/mcp`;
    const direct = await connect(upstream.url, fetch);
    const through = await connect(endpoint, agent.fetch);
    cleanups.unshift(async () => {
      await direct.close();
      await through.close();
    });

    log(`warming up (${WARMUP} calls per path)`);
    await sequential(direct, 'echo', WARMUP);
    await sequential(through, 'bench/echo', WARMUP);

    const rounds = { direct: [], gateway: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const d = await sequential(direct, 'echo', N);
      const g = await sequential(through, 'bench/echo', N);
      rounds.direct.push(d);
      rounds.gateway.push(g);
      log(
        `round ${r + 1}: p50 direct ${d.p50.toFixed(3)} ms, gateway ${g.p50.toFixed(3)} ms; p99 direct ${d.p99.toFixed(3)} ms, gateway ${g.p99.toFixed(3)} ms (load ${loadavg()[0].toFixed(2)})`,
      );
    }

    log(`calls/s: ${fmtInt(THROUGHPUT_N)} calls over ${CONCURRENCY} parallel clients per path`);
    const directClients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => connect(upstream.url, fetch)),
    );
    const gatewayClients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => connect(endpoint, agent.fetch)),
    );
    cleanups.unshift(async () => {
      await Promise.all([...directClients, ...gatewayClients].map((c) => c.close()));
    });
    await parallel(gatewayClients, 'bench/echo', Math.min(THROUGHPUT_N, 1000)); // warm-up
    const rates = { direct: [], gateway: [] };
    const cpu = { direct: [], gateway: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const d = await parallel(directClients, 'echo', THROUGHPUT_N, { upstream: upstream.pid });
      const g = await parallel(gatewayClients, 'bench/echo', THROUGHPUT_N, {
        upstream: upstream.pid,
        gateway: gateway.pid,
      });
      rates.direct.push(d.rate);
      rates.gateway.push(g.rate);
      cpu.direct.push(d.cpuMs);
      cpu.gateway.push(g.cpuMs);
      log(
        `round ${r + 1}: calls/s direct ${fmtInt(rates.direct.at(-1))}, gateway ${fmtInt(rates.gateway.at(-1))} (load ${loadavg()[0].toFixed(2)})`,
      );
    }

    // What the agent's SDK spends on each request before it leaves (a fresh proof of possession).
    const proofMs = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      const start = performance.now();
      await agent.proof('POST', endpoint);
      proofMs[k] = performance.now() - start;
    }
    const proof = summarize(proofMs);
    const end = machine();

    // A decision and an outcome for every call (each durable before its result was returned).
    const entries = await auditSize(configFile, dir);
    const calls = WARMUP + ROUNDS * N + Math.min(THROUGHPUT_N, 1000) + ROUNDS * THROUGHPUT_N;

    const med = (list, pick) => median(list.map(pick));
    const row = (list) => ({ p50: med(list, (s) => s.p50), p99: med(list, (s) => s.p99) });
    const d = row(rounds.direct);
    const g = row(rounds.gateway);
    const addedP50 = g.p50 - d.p50;
    const addedP99 = g.p99 - d.p99;
    const directRate = median(rates.direct);
    const gatewayRate = median(rates.gateway);

    const out = [];
    out.push(
      `# bench:mcp — ${info.cores} cores (nproc), ${info.cpu}, Node ${info.node}, ${info.date}`,
    );
    out.push(
      `load average ${info.load} at start, ${end.load} at end; ${ROUNDS} rounds of ${fmtInt(N)} sequential tools/call per path (medians over rounds); calls/s: ${ROUNDS} rounds of ${fmtInt(THROUGHPUT_N)} calls over ${CONCURRENCY} parallel sessions; SQLite store, default audit batching${RESULT_LABELS.length > 0 ? `; every result labelled ${RESULT_LABELS.join(', ')} (its taint shared through the store)` : ''}`,
    );
    out.push('');
    out.push('| figure | direct to upstream | through the gateway | added | target |');
    out.push('| --- | --- | --- | --- | --- |');
    out.push(
      `| tools/call p50 ms | ${d.p50.toFixed(3)} | ${g.p50.toFixed(3)} | ${addedP50.toFixed(3)} | <= ${TARGETS.addedP50Ms} ms: ${verdict(addedP50 <= TARGETS.addedP50Ms)} |`,
    );
    out.push(
      `| tools/call p99 ms | ${d.p99.toFixed(3)} | ${g.p99.toFixed(3)} | ${addedP99.toFixed(3)} | <= ${TARGETS.addedP99Ms} ms: ${verdict(addedP99 <= TARGETS.addedP99Ms)} |`,
    );
    out.push(
      `| calls/s, ${CONCURRENCY} parallel sessions | ${fmtInt(directRate)} | ${fmtInt(gatewayRate)} | | >= ${fmtInt(TARGETS.callsPerS)}: ${verdict(gatewayRate >= TARGETS.callsPerS)} |`,
    );
    out.push('');
    out.push(
      `round p50s ms: direct ${rounds.direct.map((s) => s.p50.toFixed(3)).join(', ')}; gateway ${rounds.gateway.map((s) => s.p50.toFixed(3)).join(', ')}`,
    );
    out.push(
      `calls/s per round: direct ${rates.direct.map(fmtInt).join(', ')}; gateway ${rates.gateway.map(fmtInt).join(', ')}`,
    );
    const cpuRow = (rounds, names) => {
      const per = Object.fromEntries(names.map((n) => [n, median(rounds.map((c) => c[n]))]));
      const total = names.reduce((sum, n) => sum + per[n], 0);
      return { per, total, ceiling: (info.cores * 1000) / total };
    };
    const directCpu = cpuRow(cpu.direct, ['client', 'upstream']);
    const gatewayCpu = cpuRow(cpu.gateway, ['client', 'gateway', 'upstream']);
    const ms = (n) => n.toFixed(3);
    out.push(
      `CPU ms per call in the calls/s blocks (medians over rounds): direct: client ${ms(directCpu.per.client)} + upstream ${ms(directCpu.per.upstream)} = ${ms(directCpu.total)}; through the gateway: client ${ms(gatewayCpu.per.client)} + gateway ${ms(gatewayCpu.per.gateway)} + upstream ${ms(gatewayCpu.per.upstream)} = ${ms(gatewayCpu.total)}.`,
    );
    out.push(
      `With every process on this machine's ${info.cores} cores, calls/s cannot exceed ${fmtInt(directCpu.ceiling)} direct and ${fmtInt(gatewayCpu.ceiling)} through the gateway (cores x 1000 / CPU ms per call).`,
    );
    out.push(
      `The agent's SDK signs a proof for each request: ${proof.p50.toFixed(3)} / ${proof.p99.toFixed(3)} ms p50 / p99 (measured alone), part of the added time.`,
    );
    out.push(
      `audit log size at the end: ${fmtInt(entries)} entries for ${fmtInt(calls)} gateway calls (a decision and an outcome each, plus setup)`,
    );
    out.push(
      JSON.stringify({
        bench: 'mcp',
        direct_p50_ms: round3(d.p50),
        gateway_p50_ms: round3(g.p50),
        added_p50_ms: round3(addedP50),
        added_p99_ms: round3(addedP99),
        calls_per_s: Math.round(gatewayRate),
      }),
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await runCleanups(cleanups, log);
  }
}

async function auditSize(configFile, dir) {
  const config = loadConfig({ cwd: dir, env: {}, flags: { config: configFile } });
  const plane = await openControlPlane(config);
  try {
    return await plane.audit.size();
  } finally {
    await plane.close();
  }
}

const round3 = (n) => Math.round(n * 1000) / 1000;

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
