// bench:containment — time from a trigger to containment in force (docs/containment.md).
//
//   single:  one gateway on its embedded SQLite store. An agent holding a certificate calls a
//            honeytoken tool through the guard (certificate + proof, as every enforcement point
//            does). Clock starts when the call is handed to the guard; it stops when the agent's
//            certificate is refused by the same process (checked right after the call's record).
//   cluster: two gateway processes sharing one PostgreSQL store. Gateway B (a child process)
//            checks the agent's certificate in a loop; gateway A (this process) takes the
//            honeytoken call. Clock starts in A when the call is handed to its guard; it stops in
//            B at its first refusal of that certificate (both clocks are this machine's).
//
// Agents are fresh for every trigger (a contained agent stays contained). The last line of stdout
// is one JSON object: {"bench":"containment","single_p99_ms":N,"cluster_p99_ms":N}.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { AgentIdentity } from '../packages/sdk/dist/index.js';
import { loadConfig } from '../packages/gateway/dist/index.js';
import { openControlPlane } from '../packages/gateway/dist/server.js';
import {
  fmtInt,
  machine,
  positiveIntEnv,
  registerBenchAgent,
  runCleanups,
  summarize,
  verdict,
} from './support.js';

const SINGLE_N = positiveIntEnv('BENCH_SINGLE_N', 300);
const CLUSTER_N = positiveIntEnv('BENCH_CLUSTER_N', 150);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = { singleP99Ms: 100, clusterP99Ms: 1000 };
const ISSUER = 'https://zt4ai.bench';
const CALL_URL = `${ISSUER}/mcp`;
const HONEYTOKEN = 'vault/export_master_keys';
const MODEL = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
const PROMPT = { template: 'You are a benchmark agent.', tools: [], params: {} };
const MISSION = {
  name: 'containment-bench',
  purpose: 'containment benchmark',
  allow: { actions: ['tools/call'], tools: ['*'] },
};

const log = (line) => process.stderr.write(`${line}\n`);
const wallMs = () => performance.timeOrigin + performance.now();

/** zt4ai.yaml for a gateway of the run: the honeytoken tool, default remediation rules. */
function writeConfig(dir) {
  writeFileSync(
    join(dir, 'zt4ai.yaml'),
    JSON.stringify({
      audit: { batchMaxDelayMs: 0 },
      tools: [{ name: 'db/query' }, { name: HONEYTOKEN, honeytoken: true }],
    }),
  );
}

async function openGateway(dir, env) {
  const config = loadConfig({ cwd: dir, env: { ZT4AI_ISSUER: ISSUER, ...env } });
  const plane = await openControlPlane(config);
  plane.remediation.start(pino({ level: 'warn' }));
  return plane;
}

/** A fresh agent with a certificate and a way to sign proofs for it. */
async function freshAgent(plane, mission, i) {
  const { agent, privateJwk } = await registerBenchAgent(plane, {
    name: `bench-${i}-${Math.random().toString(36).slice(2, 8)}`,
    mission,
    model: MODEL,
    prompt: PROMPT,
    allow: ['tools/call:db/query'],
  });
  const certificate = (await plane.identity.issue(agent.id, 'op:bench')).token;
  const identity = await AgentIdentity.create({
    issuer: ISSUER,
    agent: agent.name,
    key: { privateJwk },
    model: MODEL,
    prompt: PROMPT,
  });
  return { id: agent.id, certificate, identity };
}

/** The trigger: the agent calls the honeytoken through the guard; resolves once it is recorded. */
async function touchHoneytoken(guard, agent) {
  const decision = await guard.decide({
    agent: { id: agent.id, team: 'bench' },
    credentials: {
      certificate: agent.certificate,
      proof: await agent.identity.proof('POST', CALL_URL, { certificate: agent.certificate }),
      method: 'POST',
      url: CALL_URL,
    },
    action: 'tools/call',
    tool: HONEYTOKEN,
    args: {},
  });
  await decision.recorded;
  if (decision.decision !== 'deny') throw new Error(`the honeytoken call was ${decision.decision}`);
}

async function refused(plane, certificate) {
  try {
    await plane.identity.authenticator.checkCertificate(certificate);
    return false;
  } catch (error) {
    if (error?.code === 'revoked' || error?.code === 'agent-not-active') return true;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Single process, SQLite.

async function single(cleanups) {
  const dir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-containment-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeConfig(dir);
  const plane = await openGateway(dir, { ZT4AI_DATA_DIR: join(dir, 'data') });
  cleanups.unshift(() => plane.close());
  const { guard } = await plane.guard();
  const mission = (await plane.identity.createMission(MISSION, 'op:bench')).id;
  const times = [];
  for (let i = 0; i < SINGLE_N; i++) {
    const agent = await freshAgent(plane, mission, i);
    if (await refused(plane, agent.certificate)) throw new Error('a fresh agent was refused');
    const started = performance.now();
    await touchHoneytoken(guard, agent);
    while (!(await refused(plane, agent.certificate)));
    times.push(performance.now() - started);
    if ((await plane.identity.agentStatus(agent.id)) !== 'quarantined')
      throw new Error('the agent was not quarantined');
  }
  return summarize(times);
}

// ---------------------------------------------------------------------------------------------
// Two processes, PostgreSQL.

async function cluster(cleanups) {
  const schema = `bench_containment_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  cleanups.push(async () => {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });
  const search = encodeURIComponent(`-c search_path=${schema}`);
  const env = {
    ZT4AI_DATABASE_URL: `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${search}`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-cluster-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeConfig(dir);
  env.ZT4AI_DATA_DIR = join(dir, 'data'); // the shared keys (master key, log key)
  const plane = await openGateway(dir, env);
  cleanups.unshift(() => plane.close());
  const { guard } = await plane.guard();
  const mission = (await plane.identity.createMission(MISSION, 'op:bench')).id;

  const peer = fork(new URL(import.meta.url), ['--gateway-b'], {
    env: { ...process.env, BENCH_DIR: dir, BENCH_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.unshift(() => peer.kill());
  const messages = [];
  let wake;
  peer.on('message', (message) => {
    messages.push(message);
    wake?.();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise((resolve) => (wake = resolve));
    const message = messages.shift();
    if (message.error !== undefined) throw new Error(`gateway B: ${message.error}`);
    return message;
  };
  await next(); // ready
  const times = [];
  for (let i = 0; i < CLUSTER_N; i++) {
    const agent = await freshAgent(plane, mission, i);
    peer.send({ watch: agent.certificate });
    await next(); // B accepts the certificate and watches it
    const started = wallMs();
    await touchHoneytoken(guard, agent);
    const { refusedAt } = await next();
    times.push(refusedAt - started);
  }
  return summarize(times);
}

/** Gateway B: opens the shared store, and reports when each watched certificate is refused. */
async function gatewayB() {
  const env = JSON.parse(process.env.BENCH_ENV);
  const plane = await openGateway(process.env.BENCH_DIR, env);
  process.on('message', async ({ watch }) => {
    try {
      if (await refused(plane, watch)) throw new Error('the certificate was refused before');
      process.send({ watching: true });
      for (;;) {
        if (await refused(plane, watch)) return process.send({ refusedAt: wallMs() });
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      process.send({ error: error instanceof Error ? error.message : String(error) });
    }
  });
  process.on('disconnect', () => void plane.close().finally(() => process.exit(0)));
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const cleanups = [];
  const at = machine();
  log(`bench:containment on ${at.cores} cores, ${at.cpu}, Node ${at.node}, load ${at.load}`);
  try {
    log(`single process (SQLite): ${SINGLE_N} triggers`);
    const one = await single(cleanups);
    log(`cluster (two processes, PostgreSQL): ${CLUSTER_N} triggers`);
    const two = await cluster(cleanups);
    const rows = [
      ['single process, SQLite', one, TARGETS.singleP99Ms],
      ['two processes, PostgreSQL', two, TARGETS.clusterP99Ms],
    ];
    console.log(
      `machine: ${at.cores} cores, ${at.cpu}, Node ${at.node}, ${at.date}, load ${at.load}`,
    );
    console.log('| setup | triggers | p50 ms | p99 ms | max ms | target p99 |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [name, s, target] of rows)
      console.log(
        `| ${name} | ${fmtInt(s.n)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)} | <= ${target} ms: ${verdict(s.p99 <= target)} |`,
      );
    console.log(
      JSON.stringify({
        bench: 'containment',
        single_p99_ms: Number(one.p99.toFixed(2)),
        cluster_p99_ms: Number(two.p99.toFixed(2)),
      }),
    );
  } finally {
    await runCleanups(cleanups, log);
  }
}

if (process.argv.includes('--gateway-b')) await gatewayB();
else await main();
