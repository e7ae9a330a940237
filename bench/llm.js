// bench:llm — what the LLM gateway adds to a model call, measured against the same call sent
// directly to the provider in the same run. The provider is a local OpenAI-compatible server in its
// own process that answers at once (a recorded chat completion, or its stream); the gateway runs
// in this process on a fresh SQLite data dir, in front of it, with an agent that holds a certificate,
// an approved profile and a task grant. Calls go one at a time, the direct and gateway blocks
// interleaved round by round so that load on the machine drifts over both alike.
//
//   added latency  = p50(gateway) - p50(direct), whole non-streamed calls
//   added TTFT     = p50(gateway) - p50(direct), time to the first content delta of a stream
//
// The gateway path includes everything an agent pays: its SDK signing a proof for each request,
// the extra hop, authentication, the binding check, the guard, the durable audit record of the
// decision and the prompt (awaited before anything is sent), forwarding, and relaying.
// The last line of stdout is one JSON object.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign as signBytes, verify as verifyBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import { pino } from 'pino';
import { AgentIdentity } from '../packages/sdk/dist/index.js';
import { buildHttpServer } from '../packages/gateway/dist/api/index.js';
import { loadConfig } from '../packages/gateway/dist/index.js';
import { registerLlmRoutes } from '../packages/gateway/dist/llm/index.js';
import { sendUpstream } from '../packages/gateway/dist/llm/upstream-client.js';
import { openControlPlane, openLlmGateway } from '../packages/gateway/dist/server.js';
import {
  fmtInt,
  machine,
  median,
  positiveIntEnv,
  registerBenchAgent,
  runCleanups,
  summarize,
  verdict,
} from './support.js';

const N = positiveIntEnv('BENCH_N', 1000);
const ROUNDS = positiveIntEnv('BENCH_ROUNDS', 3);
const WARMUP = positiveIntEnv('BENCH_WARMUP', 300);
const TARGET_MS = 1;
const MODEL = 'gpt-4o-2024-08-06';
const SYSTEM = 'You answer bench questions.';

const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// The provider: its own process, answering at once from a recorded completion and stream.

const PROVIDER = `
import http from 'node:http';
const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1741570283, model: '${MODEL}', system_fingerprint: 'fp_bench' };
const usage = { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
const whole = JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created: 1741569952, model: '${MODEL}',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I assist you today?', refusal: null }, logprobs: null, finish_reason: 'stop' }], usage });
const chunk = (delta, finish = null, u) => 'data: ' + JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(u === undefined ? {} : { usage: u }) }) + '\\n\\n';
const server = http.createServer((request, response) => {
  const parts = [];
  request.on('data', (c) => parts.push(c));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(whole) });
      response.end(whole);
      return;
    }
    const withUsage = body.stream_options?.include_usage === true;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(chunk({ role: 'assistant', content: '' }, null, withUsage ? null : undefined));
    for (const text of ['Hello', '!', ' How', ' can', ' I', ' help', '?']) response.write(chunk({ content: text }, null, withUsage ? null : undefined));
    response.write(chunk({}, 'stop', withUsage ? null : undefined));
    if (withUsage) response.write('data: ' + JSON.stringify({ ...base, choices: [], usage }) + '\\n\\n');
    response.end('data: [DONE]\\n\\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startProvider() {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROVIDER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the provider process did not start');
  return { origin: `http://127.0.0.1:${first.value}`, stop: () => child.kill() };
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
// The gateway, and an agent allowed to call the model.

async function startGateway(dataDir, providerOrigin, cleanups) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dataDir, 'zt4ai.yaml'),
    JSON.stringify({
      tools: [{ name: 'openai/gpt-4o' }],
      llm: {
        providers: [
          { id: 'openai', kind: 'openai', baseUrl: `${providerOrigin}/v1`, apiKey: 'sk-bench' },
        ],
      },
    }),
  );
  const config = loadConfig({ cwd: dataDir, env: { ZT4AI_ISSUER: url }, flags: { dataDir } });
  const plane = await openControlPlane(config);
  cleanups.unshift(() => plane.close());
  const logger = pino({ level: 'silent' });
  const gateway = await openLlmGateway(plane, { logger });
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
  await app.listen({ host: '127.0.0.1', port });
  cleanups.unshift(async () => {
    const closing = app.close();
    app.server.closeAllConnections();
    await closing;
    await gateway.drain();
  });
  return { url, plane, gateway };
}

/**
 * The floor of any gateway on this stack: a Fastify route that relays the body to the provider with
 * the gateway's own upstream client and pipes the answer back, checking and recording nothing.
 */
async function startBareRelay(providerOrigin, cleanups) {
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, raw, done) =>
    done(null, raw),
  );
  const target = new URL(`${providerOrigin}/v1/chat/completions`);
  app.post('/v1/chat/completions', async (request, reply) => {
    const answer = await sendUpstream({
      url: target,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: request.body,
      timeoutMs: 60_000,
    });
    if (!answer.ok) throw new Error(`relay: ${answer.failure}`);
    reply.code(answer.status).header('content-type', answer.headers['content-type']);
    return reply.send(answer.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.unshift(async () => {
    const closing = app.close();
    app.server.closeAllConnections();
    await closing;
  });
  return `http://127.0.0.1:${app.server.address().port}/v1/chat/completions`;
}

async function registerAgent(plane, url) {
  const model = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
  const prompt = { template: SYSTEM, tools: [], params: {} };
  const { privateJwk } = await registerBenchAgent(plane, {
    name: 'bench-agent',
    mission: {
      name: 'bench',
      purpose: 'LLM gateway benchmark',
      allow: { actions: ['llm/complete'], tools: ['openai/gpt-4o'] },
    },
    model,
    prompt,
    allow: ['llm/complete:openai/gpt-4o'],
  });
  return AgentIdentity.create({
    issuer: url,
    agent: 'bench-agent',
    key: { privateJwk },
    model,
    prompt,
    ttlSeconds: 3600,
  });
}

/**
 * Parts no gateway that checks a proof and keeps a write-ahead audit log can skip, timed alone:
 * one Ed25519 signature check (node:crypto, the cheapest there is) and one durable SQLite commit
 * of a single small row (WAL, synchronous=FULL, as the store) in the data dir.
 */
function requiredParts(dataDir, count) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(400, 7);
  const signature = signBytes(null, message, privateKey);
  const verifyMs = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    if (!verifyBytes(null, message, publicKey, signature)) throw new Error('verify failed');
    verifyMs[k] = performance.now() - start;
  }
  const db = new BetterSqlite3(join(dataDir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text not null)');
  const insert = db.prepare('insert into t (v) values (?)');
  const commitMs = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    db.transaction(() => insert.run('x'.repeat(300))).immediate();
    commitMs[k] = performance.now() - start;
  }
  db.close();
  return { verify: summarize(verifyMs), commit: summarize(commitMs) };
}

// ---------------------------------------------------------------------------------------------
// One call, timed.

const body = (stream) =>
  JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'Say hello.' },
    ],
    ...(stream ? { stream: true } : {}),
  });
const WHOLE = body(false);
const STREAMED = body(true);

/** Whole call: ms until the answer is read; for the gateway, its Server-Timing too. */
async function wholeCall(send, url) {
  const start = performance.now();
  const response = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: WHOLE,
  });
  const answer = await response.json();
  const ms = performance.now() - start;
  if (response.status !== 200 || answer.choices?.[0]?.message?.content === undefined)
    throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(answer)}`);
  return { ms, timing: serverTiming(response.headers.get('server-timing')) };
}

/** Streamed call: ms until the first content delta arrives (then the stream is read to its end). */
async function streamedCall(send, url) {
  const start = performance.now();
  const response = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: STREAMED,
  });
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  const decoder = new TextDecoder();
  let text = '';
  let ttft;
  for await (const chunk of response.body) {
    text += decoder.decode(chunk, { stream: true });
    if (ttft === undefined && /"content":"[^"]/.test(text)) ttft = performance.now() - start;
  }
  if (ttft === undefined || !text.includes('[DONE]'))
    throw new Error('the stream did not complete');
  return { ms: ttft };
}

function serverTiming(header) {
  const timing = {};
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*([a-z]+);dur=([\d.]+)/.exec(part);
    if (match) timing[match[1]] = Number(match[2]);
  }
  return timing;
}

async function block(call, send, url, count) {
  const ms = new Float64Array(count);
  const timings = [];
  for (let k = 0; k < count; k++) {
    const result = await call(send, url);
    ms[k] = result.ms;
    if (result.timing !== undefined) timings.push(result.timing);
  }
  return { summary: summarize(ms), timings };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const info = machine();
  if (Number(info.load) > 0.5)
    log(`warning: load average is ${info.load} before the run; figures will be pessimistic`);
  const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-llm-'));
  const cleanups = [() => rmSync(dataDir, { recursive: true, force: true })];
  try {
    const provider = await startProvider();
    cleanups.unshift(() => provider.stop());
    const { url, plane, gateway } = await startGateway(dataDir, provider.origin, cleanups);
    const agent = await registerAgent(plane, url);
    const direct = `${provider.origin}/v1/chat/completions`;
    const through = `${url}/v1/chat/completions`;
    const bare = await startBareRelay(provider.origin, cleanups);
    const send = fetch;
    const agentSend = agent.fetch;

    log(`warming up (${WARMUP} calls per path and kind)`);
    for (const call of [wholeCall, streamedCall]) {
      await block(call, send, direct, WARMUP);
      await block(call, send, bare, WARMUP);
      await block(call, agentSend, through, WARMUP);
    }

    const rounds = {
      direct: [],
      bare: [],
      gateway: [],
      directTtft: [],
      bareTtft: [],
      gatewayTtft: [],
      timings: [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const d = await block(wholeCall, send, direct, N);
      const b = await block(wholeCall, send, bare, N);
      const g = await block(wholeCall, agentSend, through, N);
      const dt = await block(streamedCall, send, direct, N);
      const bt = await block(streamedCall, send, bare, N);
      const gt = await block(streamedCall, agentSend, through, N);
      rounds.direct.push(d.summary);
      rounds.bare.push(b.summary);
      rounds.gateway.push(g.summary);
      rounds.directTtft.push(dt.summary);
      rounds.bareTtft.push(bt.summary);
      rounds.gatewayTtft.push(gt.summary);
      rounds.timings.push(...g.timings);
      log(
        `round ${r + 1}: whole p50 direct ${d.summary.p50.toFixed(3)} ms, bare relay ${b.summary.p50.toFixed(3)} ms, gateway ${g.summary.p50.toFixed(3)} ms; TTFT p50 direct ${dt.summary.p50.toFixed(3)} ms, bare relay ${bt.summary.p50.toFixed(3)} ms, gateway ${gt.summary.p50.toFixed(3)} ms (load ${loadavg()[0].toFixed(2)})`,
      );
    }
    await gateway.drain();
    await plane.audit.flush();
    const entries = await plane.audit.size();
    // What the agent's SDK spends on each request before it leaves (a fresh proof of possession).
    const proofMs = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      const start = performance.now();
      await agent.proof('POST', through);
      proofMs[k] = performance.now() - start;
    }
    const proof = summarize(proofMs);
    const parts = requiredParts(dataDir, N);

    const med = (list, pick) => median(list.map(pick));
    const row = (list) => ({ p50: med(list, (s) => s.p50), p99: med(list, (s) => s.p99) });
    const direct50 = row(rounds.direct);
    const gateway50 = row(rounds.gateway);
    const directTtft = row(rounds.directTtft);
    const gatewayTtft = row(rounds.gatewayTtft);
    const bare50 = row(rounds.bare);
    const bareTtft = row(rounds.bareTtft);
    const added = gateway50.p50 - direct50.p50;
    const addedTtft = gatewayTtft.p50 - directTtft.p50;
    const part = (name) => summarize(rounds.timings.map((t) => t[name] ?? 0));
    const admit = part('admit');
    const decide = part('decide');
    const record = part('record');
    const upstream = part('upstream');
    const inside = part('gateway');
    const end = machine();

    const out = [];
    out.push(
      `# bench:llm — ${info.cores} cores (nproc), ${info.cpu}, Node ${info.node}, ${info.date}`,
    );
    out.push(
      `load average ${info.load} at start, ${end.load} at end; ${ROUNDS} rounds of ${fmtInt(N)} sequential calls per path and kind (medians over rounds); SQLite store, default audit batching`,
    );
    out.push('');
    out.push('| figure | direct to provider | through the gateway | added | target |');
    out.push('| --- | --- | --- | --- | --- |');
    out.push(
      `| whole call, p50 / p99 ms | ${direct50.p50.toFixed(3)} / ${direct50.p99.toFixed(3)} | ${gateway50.p50.toFixed(3)} / ${gateway50.p99.toFixed(3)} | ${added.toFixed(3)} | <= ${TARGET_MS} ms: ${verdict(added <= TARGET_MS)} |`,
    );
    out.push(
      `| time to first token, p50 / p99 ms | ${directTtft.p50.toFixed(3)} / ${directTtft.p99.toFixed(3)} | ${gatewayTtft.p50.toFixed(3)} / ${gatewayTtft.p99.toFixed(3)} | ${addedTtft.toFixed(3)} | <= ${TARGET_MS} ms: ${verdict(addedTtft <= TARGET_MS)} |`,
    );
    out.push(
      `| bare relay (floor of the hop), p50 ms: whole / TTFT | ${bare50.p50.toFixed(3)} / ${bareTtft.p50.toFixed(3)} | | ${(bare50.p50 - direct50.p50).toFixed(3)} / ${(bareTtft.p50 - directTtft.p50).toFixed(3)} | |`,
    );
    out.push('');
    out.push(
      `Inside the gateway (Server-Timing of whole calls, p50 / p99 ms): ${inside.p50.toFixed(3)} / ${inside.p99.toFixed(3)} from the parsed request to the answer's headers; of it admission ${admit.p50.toFixed(3)} / ${admit.p99.toFixed(3)} (guard decision ${decide.p50.toFixed(3)} / ${decide.p99.toFixed(3)}, durable audit records ${record.p50.toFixed(3)} / ${record.p99.toFixed(3)}) and the provider until its answer ${upstream.p50.toFixed(3)} / ${upstream.p99.toFixed(3)}.`,
    );
    out.push(
      `The agent's SDK signs a proof for each request: ${proof.p50.toFixed(3)} / ${proof.p99.toFixed(3)} ms p50 / p99 (measured alone), part of the added time.`,
    );
    const floor =
      bare50.p50 - direct50.p50 + proof.p50 + parts.verify.p50 + parts.commit.p50 + decide.p50;
    out.push(
      `Floor of the required parts, p50 ms: the bare hop ${(bare50.p50 - direct50.p50).toFixed(3)} + the SDK's proof ${proof.p50.toFixed(3)} + one Ed25519 check ${parts.verify.p50.toFixed(3)} + one durable one-row commit ${parts.commit.p50.toFixed(3)} + the guard decision ${decide.p50.toFixed(3)} = ${floor.toFixed(3)} ms, before any parsing, payload sealing or relaying.`,
    );
    out.push(
      `audit log size at the end: ${fmtInt(entries)} entries (decision, request and response of every call)`,
    );
    out.push(
      JSON.stringify({
        bench: 'llm',
        added_p50_ms: round3(added),
        added_ttft_ms: round3(addedTtft),
      }),
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await runCleanups(cleanups, log);
  }
}

const round3 = (n) => Math.round(n * 1000) / 1000;

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
