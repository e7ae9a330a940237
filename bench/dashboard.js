// The governance center under load: 1,000 agents and 100 events/s, measured in Debian's Chromium
// (playwright-core). Figures: the overview's first render, the latency from an event's append to its
// row on the overview, main-thread long tasks while the events stream, and opening the agent list.
// The server (the real HTTP server, audit log and SQLite store) runs in this process; the events are
// appended to the audit log, the path every enforcement point's decisions take to the dashboard.
//
// Settings: BENCH_AGENTS (1000), BENCH_RATE events/s (100), BENCH_SECONDS of streaming (30),
// BENCH_RENDERS first-render samples (5). Results go to stdout and into bench/README.md.
/* global document, window, MutationObserver -- page.evaluate callbacks run in the browser */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as prettier from 'prettier';
import { pino } from 'pino';
import { OperatorAccess } from '../packages/gateway/dist/access/index.js';
import { buildHttpServer } from '../packages/gateway/dist/api/index.js';
import { loadConfig, openControlPlane } from '../packages/gateway/dist/index.js';
import { fmtInt, machine, median, percentile, positiveIntEnv, runCleanups } from './support.js';

const AGENTS = positiveIntEnv('BENCH_AGENTS', 1000);
const RATE = positiveIntEnv('BENCH_RATE', 100);
const SECONDS = positiveIntEnv('BENCH_SECONDS', 30);
const RENDERS = positiveIntEnv('BENCH_RENDERS', 5);
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const cleanups = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-dashboard-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { plane, url, app } = await startServer(dir);
    cleanups.unshift(
      () => plane.close(),
      () => app.close(),
    );
    const agents = await registerFleet(plane);
    const profile = mkdtempSync(join(tmpdir(), 'zt4ai-bench-chromium-'));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    cleanups.unshift(() => context.close());
    const page = await context.newPage();
    await login(page, plane, url);
    const stream = startEvents(plane, agents);
    cleanups.unshift(() => stream.stop());
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the stream runs before we measure
    const renders = [];
    for (let i = 0; i < RENDERS; i += 1) renders.push(await firstRender(page, url));
    const live = await liveLatency(page, stream);
    const agentList = await openAgentList(page, url);
    await writeReadme(report({ renders, live, agentList, sent: stream.sent() }));
  } finally {
    await runCleanups(cleanups, log);
  }
}

async function startServer(dir) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    flags: { dataDir: join(dir, 'data'), port, host: '127.0.0.1' },
    env: { ZT4AI_ISSUER: url, PATH: process.env.PATH ?? '', HOME: dir },
    cwd: dir,
  });
  const plane = await openControlPlane(config);
  const app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: url,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port });
  return { plane, url, app };
}

async function registerFleet(plane) {
  log(`registering ${AGENTS} agents…`);
  const started = Date.now();
  const missions = [];
  for (const team of ['payments', 'support', 'research', 'ops', 'data']) {
    missions.push({
      team,
      id: (
        await plane.identity.createMission(
          { name: `bench-${team}`, purpose: `the ${team} team's work`, allow: { tools: ['*'] } },
          'op:bench',
        )
      ).id,
    });
  }
  const ids = [];
  for (let i = 0; i < AGENTS; i += 1) {
    const mission = missions[i % missions.length];
    const x = Buffer.alloc(32);
    x.writeUInt32BE(i + 1);
    const { agent } = await plane.identity.registerAgent(
      {
        name: `agent-${String(i).padStart(4, '0')}`,
        owner: 'bench',
        team: mission.team,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') },
        model: { provider: 'openai', name: 'gpt-4o-mini', version: '2024-07-18' },
        prompt: { template: `Agent ${i}.`, tools: [], params: {} },
        mission: mission.id,
      },
      'op:bench',
    );
    await plane.identity.approveProfile(agent.id, undefined, 'op:bench');
    ids.push(agent.id);
  }
  log(`registered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return ids;
}

async function login(page, plane, url) {
  const access = new OperatorAccess({
    store: plane.store,
    operators: plane.grants.operators,
    audit: plane.audit,
  });
  await access.setOperator('bench-admin', ['admin'], 'op:bench');
  const { token } = await access.issueLoginLink('bench-admin', 'op:bench');
  await page.goto(`${url}/#login=${token}`);
  await page.getByTestId('fleet-status').waitFor();
}

/** Appends RATE decision events per second for random agents; event n names tool `bench/tn`. */
function startEvents(plane, agents) {
  const sentAt = new Map();
  let seq = 0;
  let running = true;
  const started = Date.now();
  const tick = async () => {
    while (running) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      while (seq < due && running) {
        const n = seq++;
        const agent = agents[(n * 7919) % agents.length];
        sentAt.set(n, Date.now());
        const deny = n % 10 === 0;
        void plane.audit.append({
          type: 'guard.decision',
          agent,
          action: 'tools/call',
          tool: `bench/t${n}`,
          decision: deny ? 'deny' : 'allow',
          reasons: [deny ? 'destructive SQL is not allowed' : 'allowed by a task grant'],
          policyIds: [],
          severity: deny ? 'high' : '',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const loop = tick();
  return {
    sentAt,
    sent: () => seq,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** ms from navigation start until the overview shows the fleet and live rows (browser clock). */
async function firstRender(page, url) {
  await page.goto('about:blank');
  await page.goto(`${url}/#/`);
  const handle = await page.waitForFunction(
    (agents) => {
      const value = document.querySelector('[data-label="agents"] .value');
      const rows = document.querySelectorAll('[data-testid="live-activity"] li').length;
      return value?.textContent === String(agents) && rows > 0 ? performance.now() : false;
    },
    AGENTS,
    { polling: 'raf', timeout: 30_000 },
  );
  return handle.jsonValue();
}

/** Latency from append to the row's insertion on the overview, and long tasks meanwhile. */
async function liveLatency(page, stream) {
  await page.evaluate(() => {
    const seen = (window.__benchSeen = {});
    window.__benchLongTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__benchLongTasks.push(entry.duration);
    }).observe({ type: 'longtask' });
    new MutationObserver((mutations) => {
      const now = Date.now();
      for (const mutation of mutations)
        for (const node of mutation.addedNodes) {
          const match = /bench\/t(\d+)/.exec(node.textContent ?? '');
          if (match !== null && seen[match[1]] === undefined) seen[match[1]] = now;
        }
    }).observe(document.querySelector('[data-testid="live-activity"]'), {
      childList: true,
      subtree: true,
    });
  });
  const from = stream.sent();
  log(`streaming ${RATE} events/s for ${SECONDS} s…`);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const to = stream.sent();
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the window's last events arrive
  const { seen, longTasks } = await page.evaluate(() => ({
    seen: window.__benchSeen,
    longTasks: window.__benchLongTasks,
  }));
  const latencies = [];
  for (let n = from; n < to; n += 1) {
    const shown = seen[String(n)];
    if (shown !== undefined) latencies.push(shown - stream.sentAt.get(n));
  }
  return { latencies, sent: to - from, longTasks };
}

/** ms from a click on "Agents" until the table shows its first 200 of the fleet, under load. */
async function openAgentList(page, url) {
  const samples = [];
  for (let i = 0; i < 3; i += 1) {
    await page.goto(`${url}/#/`);
    await page.getByTestId('live-activity').waitFor();
    const started = Date.now();
    await page.locator('header nav a', { hasText: 'Agents' }).click();
    await page.waitForFunction(
      (rows) => document.querySelectorAll('[data-testid="agents"] tbody tr').length >= rows,
      Math.min(200, AGENTS),
      { timeout: 30_000 },
    );
    samples.push(Date.now() - started);
  }
  return samples;
}

function report({ renders, live, agentList, sent }) {
  const sorted = [...live.latencies].sort((a, b) => a - b);
  const figures = {
    first_render_ms: Math.round(median(renders)),
    live_p50_ms: Math.round(percentile(sorted, 50)),
    live_p95_ms: Math.round(percentile(sorted, 95)),
    live_shown: live.latencies.length,
    live_sent: live.sent,
    long_tasks: live.longTasks.length,
    long_task_ms: Math.round(live.longTasks.reduce((a, b) => a + b, 0)),
    agent_list_ms: Math.round(median(agentList)),
  };
  const m = machine();
  const table = [
    `| figure | value |`,
    `| --- | --- |`,
    `| agents, event rate | ${fmtInt(AGENTS)}, ${RATE}/s for ${SECONDS} s (${fmtInt(sent)} events in all) |`,
    `| overview first render, median of ${RENDERS} | ${figures.first_render_ms} ms |`,
    `| live update latency, append → row on the overview, p50 / p95 | ${figures.live_p50_ms} / ${figures.live_p95_ms} ms |`,
    `| events shown live / appended in the window | ${fmtInt(figures.live_shown)} / ${fmtInt(figures.live_sent)} |`,
    `| main-thread long tasks (> 50 ms) in the window | ${figures.long_tasks} (${figures.long_task_ms} ms in all) |`,
    `| click "Agents" → first 200 rows of the fleet, median of 3 | ${figures.agent_list_ms} ms |`,
  ].join('\n');
  const section = [
    '<!-- bench:dashboard:start -->',
    `Latest run: ${m.date}, ${m.cores} cores (${m.cpu}), Node ${m.node}, load ${m.load}, Chromium (Debian) headless.`,
    '',
    table,
    '<!-- bench:dashboard:end -->',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'dashboard', ...figures })}\n`);
  return section;
}

/** Puts `section` between the README's markers, formatted as the repository formats Markdown. */
async function writeReadme(section) {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf('<!-- bench:dashboard:start -->');
  const end = readme.indexOf('<!-- bench:dashboard:end -->');
  if (start === -1 || end === -1) {
    log('bench/README.md has no dashboard markers: results not written');
    return;
  }
  const text = `${readme.slice(0, start)}${section}${readme.slice(end + '<!-- bench:dashboard:end -->'.length)}`;
  const options = (await prettier.resolveConfig(README)) ?? {};
  writeFileSync(README, await prettier.format(text, { ...options, filepath: README }));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

await main();
