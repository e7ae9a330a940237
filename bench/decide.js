// Decision benchmark: Guard.decide (detectors, grants, Cedar policies) at 10–10,000 policies, and the AGT PolicyEngine peer with equivalent rules.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConflictResolutionStrategy, PolicyEngine } from '@microsoft/agent-governance-sdk';
import { loadShellParser } from '../packages/gateway/dist/detectors/shell.js';
import { detectCallFacts, Guard } from '../packages/gateway/dist/guard/index.js';
import { loadConfig, openControlPlane } from '../packages/gateway/dist/index.js';
import { baselinePolicies, zt4aiSchema } from '../packages/gateway/dist/policy/baseline.js';
import { PolicySet } from '../packages/gateway/dist/policy/policy-set.js';
import { parsePolicySource } from '../packages/gateway/dist/policy/policy-source.js';
import {
  cpuSeconds,
  fmtInt,
  machine,
  median,
  positiveIntEnv as int,
  registerBenchAgent,
  runCleanups,
  summarize,
} from './support.js';

// Sizes can be lowered for a quick try (e.g. BENCH_N=500); the published figures use the defaults.
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000,10000').split(',').map(Number);
const ROUNDS = int('BENCH_ROUNDS', 3);
const N = int('BENCH_N', 3_000); // timed decisions per size, variant and round
const WARMUP = int('BENCH_WARMUP', 500); // untimed decisions before each timed block
const ACTIVE = int('BENCH_ACTIVE', 100); // agents sending calls (spread over all the agents)
const SWEEP_N = int('BENCH_SWEEP_N', 1_000); // the all-agents variant (slice cache misses)
const PEER_N = int('BENCH_PEER_N', 3_000); // peer calls per size and round
const TARGETS = { p50Us: 150, flatness: 1.5 };

const log = (message) => process.stderr.write(`[bench:decide ${elapsed()}] ${message}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

const fmtUs = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const round1 = (n) => Math.round(n * 10) / 10;
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// The workload: N policies for N/2 agents, two each (a permit and its forbid counterpart) on the
// agent's tool; the agent's tool is db/query, web/fetch or fs/read_file (agent index mod 3).

const TOOLS = [
  { name: 'db/query', argKinds: { sql: 'sql' }, sink: 'internal', sqlDialect: 'postgresql' },
  { name: 'web/fetch', argKinds: { url: 'url' } },
  { name: 'fs/read_file', argKinds: { path: 'path' }, sink: 'internal' },
  { name: 'shell/exec', argKinds: { command: 'command' }, privileged: true },
  { name: 'mail/send', sink: 'external' },
];
const DETECTION_EGRESS = {
  allowHosts: ['api.example.com', '*.allowed.example'],
  allowPrivate: ['10.20.0.0/16'],
  allowedSchemes: ['https'],
};
const PATH_ROOTS = ['/srv/data'];
const AGENT_TOOLS = ['db/query', 'web/fetch', 'fs/read_file'];
// Agents the calls come from are registered, approved and hold a real grant (see registerAgents);
// the others only appear in policies.
const registered = new Map();
const agentId = (i) => registered.get(i) ?? `agt_unregistered_${i}`;
const toolOf = (i) => AGENT_TOOLS[i % 3];

/** Cedar text of agent i's two policies. */
function agentPolicies(i) {
  const scope = `principal == Agent::"${agentId(i)}", action == Action::"tools/call", resource == Tool::"${toolOf(i)}"`;
  const [permitWhen, forbidWhen] = {
    'db/query': [
      'context.sql.kinds.contains("select")',
      'context.sql.kinds.containsAny(["insert", "update", "delete"])',
    ],
    'web/fetch': ['context.egress.listed', 'context.egress.present && !context.egress.listed'],
    'fs/read_file': ['context.path.allowed', 'context.path.escapesRoot'],
  }[toolOf(i)];
  return [
    `@id("agent-${i}/permit")\n@reason("agent ${i} may use ${toolOf(i)}")\npermit (${scope})\nwhen { ${permitWhen} };`,
    `@id("agent-${i}/forbid")\n@reason("agent ${i} may not use ${toolOf(i)} this way")\n@severity("medium")\nforbid (${scope})\nwhen { ${forbidWhen} };`,
  ].join('\n\n');
}

/** The peer's equivalent of agent i's two policies (its expression language; `facts` precomputed). */
function peerAgentPolicy(i) {
  const tool = `tool == '${toolOf(i)}'`;
  const [permitWhen, forbidWhen] = {
    'db/query': ["sql.verb == 'SELECT'", "sql.verb in ['INSERT', 'UPDATE', 'DELETE']"],
    'web/fetch': [
      'facts.egress.listed == true',
      'facts.egress.present == true and facts.egress.listed == false',
    ],
    'fs/read_file': ['facts.path.allowed == true', 'facts.path.escapesRoot == true'],
  }[toolOf(i)];
  return {
    name: `agent-${i}`,
    agent: agentId(i),
    scope: 'agent',
    default_action: 'deny',
    rules: [
      { name: `agent-${i}/permit`, condition: `${tool} and ${permitWhen}`, ruleAction: 'allow' },
      { name: `agent-${i}/forbid`, condition: `${tool} and ${forbidWhen}`, ruleAction: 'deny' },
    ],
  };
}

/** The baseline pack in the peer's terms: the same 13 rules, one allow (the grant), 12 deny. */
const PEER_BASELINE = {
  name: 'baseline',
  scope: 'global',
  default_action: 'deny',
  rules: [
    ['confidential-to-external', "labels.confidential == true and facts.tool.sink != 'internal'"],
    [
      'untrusted-steering',
      'labels.untrusted == true and facts.tool.privileged == true',
      'require_approval',
    ],
    ['destructive-sql', 'facts.sql.destructive == true or facts.sql.unboundedWrite == true'],
    ['unparsable-sql', 'facts.sql.parseError == true'],
    ['egress-cloud-metadata', 'facts.egress.cloudMetadata == true'],
    ['egress-destination', 'facts.egress.present == true and facts.egress.allowed == false'],
    ['grant-in-force', 'granted == true', 'allow'],
    ['honeytoken', 'facts.tool.honeytoken == true'],
    ['confusable-tool-name', 'facts.tool.confusable == true'],
    ['path-traversal', 'facts.path.present == true and facts.path.allowed == false'],
    ['secrets-outbound', "facts.secrets.found == true and facts.tool.sink != 'internal'"],
    ['dangerous-shell', 'facts.shell.dangerous == true'],
    ['unparsable-shell', 'facts.shell.parseError == true'],
  ].map(([name, condition, ruleAction = 'deny']) => ({
    name: `baseline/${name}`,
    condition,
    ruleAction,
  })),
};

/**
 * Call `seq` of the active agents: cycles over them; each agent's call is a "bad" one (forbidden)
 * once every 10 visits, staggered across agents. `uniqueSql` makes every SQL text new.
 */
function makeRequest(active, seq, uniqueSql) {
  const k = seq % active.length;
  const i = active[k];
  const bad = Math.floor(seq / active.length) % 10 === k % 10;
  const tool = toolOf(i);
  let args;
  if (tool === 'db/query') {
    const customer = uniqueSql ? 1_000_000 + seq : i;
    args = {
      sql: bad
        ? `DELETE FROM invoices WHERE customer_id = ${customer}`
        : `SELECT id, total, due_date FROM invoices WHERE customer_id = ${customer} AND status = 'open' ORDER BY due_date LIMIT 20`,
    };
  } else if (tool === 'web/fetch') {
    args = {
      url: bad
        ? `https://evil.example.net/collect?a=${i}`
        : `https://api.example.com/v1/items?owner=${i}`,
    };
  } else {
    args = { path: bad ? '/srv/data/../../etc/passwd' : `/srv/data/reports/agent-${i}.csv` };
  }
  return {
    request: {
      agent: { id: agentId(i), name: `bench agent ${i}`, owner: 'bench' },
      action: 'tools/call',
      tool,
      args,
    },
    expected: bad ? 'deny' : 'allow',
  };
}

/** `count` agent indexes spread evenly over `agents` agents. */
function spread(agents, count) {
  const n = Math.min(agents, count);
  return Array.from({ length: n }, (_, k) => Math.floor((k * agents) / n));
}

// ---------------------------------------------------------------------------------------------
// Our side: a Guard built like test/support/guard.ts, with N generated policies on top.

async function buildGuard(size, plane, shell) {
  const agents = Math.max(1, Math.floor(size / 2));
  const text = Array.from({ length: agents }, (_, i) => agentPolicies(i)).join('\n\n');
  const p0 = performance.now();
  const generated = parsePolicySource(text, `bench/${size}.cedar`, `bench/${size}#`);
  const parseS = (performance.now() - p0) / 1000;
  if (generated.length !== agents * 2) throw new Error(`expected ${agents * 2} policies`);
  const baseline = baselinePolicies();
  const l0 = performance.now();
  const set = PolicySet.load([...baseline, ...generated], zt4aiSchema());
  const loadS = (performance.now() - l0) / 1000;
  const detection = {
    egress: DETECTION_EGRESS,
    pathRoots: PATH_ROOTS,
    shell,
    knownTools: TOOLS.map((t) => t.name),
  };
  const guard = new Guard({
    policies: () => set,
    tools: new Map(TOOLS.map((t) => [t.name, t])),
    detection,
    // The real grant service: every calling agent holds an approved grant without a use limit.
    grants: plane.grants.check(),
    audit: plane.audit,
  });
  return {
    size,
    agents,
    set,
    policies: set.policies.length,
    baseline: baseline.length,
    generated: generated.length,
    parseS,
    loadS,
    guard,
    detection,
  };
}

/** Every agent index some timed block calls: the active ones of each size, and the sweep's. */
function callingAgents() {
  const indexes = new Set();
  for (const size of SIZES) {
    const agents = Math.max(1, Math.floor(size / 2));
    for (const i of spread(agents, ACTIVE)) indexes.add(i);
    for (let i = 0; i < Math.min(agents, SWEEP_N); i++) indexes.add(i);
  }
  return [...indexes].sort((a, b) => a - b);
}

/**
 * Registers the calling agents under one mission, approves their profiles and gives each an
 * approved task grant for its tool (no use limit, an hour), through the public services.
 */
async function registerAgents(plane, indexes) {
  const mission = await plane.identity.createMission(
    {
      name: 'bench',
      purpose: 'decision benchmark',
      allow: { tools: AGENT_TOOLS },
      maxGrantTtlSeconds: 7200,
    },
    'op:bench',
  );
  for (const i of indexes) {
    const { agent } = await registerBenchAgent(plane, {
      name: `bench-agent-${i}`,
      mission: mission.id,
      model: { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' },
      prompt: { template: 'You answer bench questions.', tools: [], params: {} },
      allow: [`tools/call:${toolOf(i)}`],
    });
    registered.set(i, agent.id);
  }
}

/**
 * `count` sequential decisions over `active` from `seq0`, each timed alone; `recorded` is never
 * awaited inside the timed region, all of them are awaited (and must resolve) at the end.
 */
async function timedBlock(setup, active, count, seq0, uniqueSql) {
  const wall = new Float64Array(count);
  const own = new Float64Array(count);
  const durable = new Float64Array(count);
  const recorded = new Array(count);
  const calls = Array.from({ length: count }, (_, k) => makeRequest(active, seq0 + k, uniqueSql));
  let mismatches = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < count; k++) {
    const { request, expected } = calls[k];
    const s = performance.now();
    const decision = await setup.guard.decide(request);
    wall[k] = (performance.now() - s) * 1000;
    own[k] = decision.latencyUs;
    recorded[k] = decision.recorded.then((index) => {
      durable[k] = (performance.now() - s) * 1000;
      return index;
    });
    // A gateway's requests arrive from I/O, so the event loop turns between them (timers, the
    // audit batcher's commits); without this the loop would only run microtasks until the end.
    await yieldToLoop();
    if (decision.decision !== expected) {
      mismatches++;
      if (mismatches <= 3)
        log(
          `  unexpected ${decision.decision} for ${request.agent.id} ${request.tool}: ${decision.reasons.join('; ')}`,
        );
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const settled = await Promise.allSettled(recorded);
  const failed = settled.filter((r) => r.status === 'rejected');
  if (failed.length > 0)
    throw new Error(`${failed.length} decisions were not recorded: ${failed[0].reason}`);
  if (mismatches > 0) throw new Error(`${mismatches} decisions differ from the expected ones`);
  return {
    wall: summarize(wall),
    own: summarize(own),
    durable: summarize(durable),
    // Back to back, one at a time: 1 / mean latency. With recording: over the whole block, which
    // includes the audit batcher's work between decisions.
    perS: 1e6 / summarize(wall).mean,
    perSRecorded: count / seconds,
    cpuUs: (cpu / count) * 1e6,
  };
}

async function warmup(setup, active, count, uniqueSql) {
  const recorded = [];
  for (let k = 0; k < count; k++) {
    const { request } = makeRequest(active, 7_000_000 + k, uniqueSql);
    const decision = await setup.guard.decide(request);
    recorded.push(decision.recorded);
    await yieldToLoop();
  }
  await Promise.all(recorded);
}

// ---------------------------------------------------------------------------------------------
// The peer: AGT PolicyEngine (rich policy documents, deny-overrides), facts precomputed by us.

function buildPeer(size, detection) {
  const agents = Math.max(1, Math.floor(size / 2));
  const engine = new PolicyEngine([], ConflictResolutionStrategy.DenyOverrides);
  engine.loadPolicy(PEER_BASELINE);
  for (let i = 0; i < agents; i++) engine.loadPolicy(peerAgentPolicy(i));
  const active = spread(agents, ACTIVE);
  const toolMap = new Map(TOOLS.map((t) => [t.name, t]));
  // Contexts for a whole cycle of calls (every agent bad once in 10 visits), made outside timing.
  const cycle = active.length * 10;
  const contexts = Array.from({ length: cycle }, (_, seq) => {
    const { request, expected } = makeRequest(active, seq, false);
    const facts = detectCallFacts(
      toolMap.get(request.tool),
      request.tool,
      request.args,
      undefined,
      detection,
    );
    const tool = toolMap.get(request.tool);
    return {
      agent: request.agent.id,
      expected,
      args: request.args,
      cedar: {
        request: {
          principal: { type: 'Agent', id: request.agent.id },
          action: { type: 'Action', id: request.action },
          resource: { type: 'Tool', id: request.tool },
          context: { granted: true, ...facts },
        },
        entities: [
          {
            uid: { type: 'Agent', id: request.agent.id },
            attrs: { name: request.agent.name, owner: request.agent.owner },
            parents: [],
          },
          {
            uid: { type: 'Tool', id: request.tool },
            attrs: {
              honeytoken: tool?.honeytoken === true,
              privileged: tool?.privileged === true,
              sink: tool?.sink ?? 'external',
            },
            parents: [{ type: 'Server', id: request.tool.split('/')[0] }],
          },
        ],
      },
      context: {
        action: request.action,
        tool: request.tool,
        granted: true,
        // The peer's own SQL facet extractor (a regex tokenizer) reads sql.query on every call.
        ...(request.args.sql === undefined ? {} : { sql: { query: request.args.sql } }),
        labels: { confidential: false, untrusted: false },
        facts,
      },
    };
  });
  return { engine, contexts, toolMap, detection };
}

/**
 * Our policy step alone, as the peer is measured: the same calls with their facts precomputed,
 * through PolicySet.evaluate (the Cedar request and entities the guard builds).
 */
function policyOnlyBlock(setup, count, seq0) {
  const lat = new Float64Array(count);
  let mismatches = 0;
  for (let k = 0; k < count; k++) {
    const call = setup.peer.contexts[(seq0 + k) % setup.peer.contexts.length];
    const s = performance.now();
    const outcome = setup.set.evaluate(call.cedar.request, call.cedar.entities);
    lat[k] = (performance.now() - s) * 1000;
    if (outcome.decision !== call.expected) mismatches++;
  }
  if (mismatches > 0) throw new Error(`policy step: ${mismatches} decisions differ`);
  return summarize(lat);
}

/**
 * The peer in the surroundings of our timed decisions: between two calls the event loop turns and
 * the audit log commits one decision entry (with its arguments as a payload), as our guard's
 * record does. The audit work is outside the timed region for both. Timed: `evaluatePolicy`, and
 * with `detect` also the facts it needs, computed by our detectors as in the guard (the work our
 * full decision does and the peer's engine has no part for).
 */
async function peerAmidAuditBlock(peer, count, seq0, audit, detect = false) {
  const lat = new Float64Array(count);
  const recorded = [];
  for (let k = 0; k < count; k++) {
    const call = peer.contexts[(seq0 + k) % peer.contexts.length];
    const s = performance.now();
    const context = detect ? withFreshFacts(peer, call) : call.context;
    const result = peer.engine.evaluatePolicy(call.agent, context);
    lat[k] = (performance.now() - s) * 1000;
    if ((result.allowed ? 'allow' : 'deny') !== call.expected)
      throw new Error('peer: a decision differs from ours');
    recorded.push(
      audit.append(
        {
          type: 'guard.decision',
          agent: call.agent,
          action: 'tools/call',
          tool: call.context.tool,
          decision: result.allowed ? 'allow' : 'deny',
          reasons: [],
          policyIds: [],
          severity: '',
        },
        { payloads: { args: JSON.stringify(call.args) }, handOver: true },
      ),
    );
    await yieldToLoop();
  }
  await Promise.all(recorded);
  return summarize(lat);
}

/** The peer's context of `call`, its facts computed now by our detectors. */
function withFreshFacts(peer, call) {
  const tool = peer.toolMap.get(call.context.tool);
  const facts = detectCallFacts(tool, call.context.tool, call.args, undefined, peer.detection);
  return { ...call.context, facts };
}

function peerBlock(peer, count, seq0) {
  const lat = new Float64Array(count);
  let mismatches = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < count; k++) {
    const call = peer.contexts[(seq0 + k) % peer.contexts.length];
    const s = performance.now();
    const result = peer.engine.evaluatePolicy(call.agent, call.context);
    lat[k] = (performance.now() - s) * 1000;
    if ((result.allowed ? 'allow' : 'deny') !== call.expected) mismatches++;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (mismatches > 0) throw new Error(`peer: ${mismatches} decisions differ from ours`);
  return { ...summarize(lat), perS: count / seconds, cpuUs: (cpuSeconds(c0) / count) * 1e6 };
}

// ---------------------------------------------------------------------------------------------
// The run.

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-decide-'));
  const cleanups = [() => rmSync(dataDir, { recursive: true, force: true })];
  const info = machine();
  if (Number(info.load) > 0.5)
    log(`warning: load average is ${info.load} before the run; figures will be pessimistic`);
  try {
    // The tools are configured, as a deployment would (grants may only name known tools).
    writeFileSync(join(dataDir, 'zt4ai.yaml'), JSON.stringify({ tools: TOOLS }));
    const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir } });
    const plane = await openControlPlane(config);
    cleanups.unshift(() => plane.close());
    const shell = await loadShellParser();
    const calling = callingAgents();
    const r0 = performance.now();
    await registerAgents(plane, calling);
    log(
      `${fmtInt(calling.length)} calling agents registered with grants in ${((performance.now() - r0) / 1000).toFixed(1)} s`,
    );

    const setups = [];
    for (const size of SIZES) {
      const setup = await buildGuard(size, plane, shell);
      setup.active = spread(setup.agents, ACTIVE);
      setup.peer = buildPeer(size, setup.detection);
      setup.rounds = {
        cached: [],
        unique: [],
        peer: [],
        peerAmid: [],
        peerDetectAmid: [],
        policy: [],
      };
      setups.push(setup);
      log(
        `${fmtInt(size)} policies: ${setup.baseline} baseline + ${fmtInt(setup.generated)} generated for ${fmtInt(setup.agents)} agents; parse ${setup.parseS.toFixed(2)} s, PolicySet.load ${setup.loadS.toFixed(2)} s`,
      );
    }

    // A first warm-up over every size, so that JIT compilation does not land on the first size.
    for (const setup of setups) await warmup(setup, setup.active, 2 * WARMUP, false);

    // Rounds go over every size in turn, so that load on the machine drifts over all sizes alike.
    for (let r = 0; r < ROUNDS; r++) {
      for (const setup of setups) {
        await warmup(setup, setup.active, WARMUP, false);
        const cached = await timedBlock(setup, setup.active, N, r * N, false);
        await warmup(setup, setup.active, Math.min(WARMUP, 200), true);
        const unique = await timedBlock(setup, setup.active, N, 1_000_000 + r * N, true);
        peerBlock(setup.peer, Math.min(PEER_N, 500), 0);
        const peer = peerBlock(setup.peer, PEER_N, r * PEER_N);
        await peerAmidAuditBlock(setup.peer, Math.min(PEER_N, 500), 0, plane.audit);
        setup.rounds.peerAmid.push(
          await peerAmidAuditBlock(setup.peer, PEER_N, r * PEER_N, plane.audit),
        );
        await peerAmidAuditBlock(setup.peer, Math.min(PEER_N, 500), 0, plane.audit, true);
        setup.rounds.peerDetectAmid.push(
          await peerAmidAuditBlock(setup.peer, PEER_N, r * PEER_N, plane.audit, true),
        );
        policyOnlyBlock(setup, Math.min(PEER_N, 500), 0);
        setup.rounds.policy.push(policyOnlyBlock(setup, PEER_N, r * PEER_N));
        setup.rounds.cached.push(cached);
        setup.rounds.unique.push(unique);
        setup.rounds.peer.push(peer);
        log(
          `round ${r + 1}, ${String(setup.size).padStart(5)} policies: p50 ${fmtUs(cached.wall.p50)} µs, p99 ${fmtUs(cached.wall.p99)} µs; unique SQL p50 ${fmtUs(unique.wall.p50)} µs; peer p50 ${fmtUs(peer.p50)} µs, amid audit commits ${fmtUs(setup.rounds.peerAmid.at(-1).p50)} µs, with our detectors ${fmtUs(setup.rounds.peerDetectAmid.at(-1).p50)} µs (load ${loadavg()[0].toFixed(2)})`,
        );
      }
    }

    // Every agent in turn (not only the active ones): past 1,024 agents the slice cache misses.
    for (const setup of setups) {
      const all = Array.from({ length: setup.agents }, (_, i) => i);
      // Up to 1,024 agents every slice fits the cache, so warm them all; past it, misses are the point.
      await warmup(setup, all, setup.agents <= 1_024 ? setup.agents : 200, false);
      setup.sweep = await timedBlock(setup, all, SWEEP_N, 0, false);
      log(
        `all ${fmtInt(setup.agents)} agents in turn, ${fmtInt(setup.size)} policies: p50 ${fmtUs(setup.sweep.wall.p50)} µs, p99 ${fmtUs(setup.sweep.wall.p99)} µs`,
      );
    }
    await plane.audit.flush();
    const auditSize = await plane.audit.size();

    // --- Report ------------------------------------------------------------------------------
    const med = (rounds, pick) => median(rounds.map(pick));
    const rows = setups.map((s) => ({
      size: s.size,
      p50: med(s.rounds.cached, (x) => x.wall.p50),
      p99: med(s.rounds.cached, (x) => x.wall.p99),
      ownP50: med(s.rounds.cached, (x) => x.own.p50),
      ownP99: med(s.rounds.cached, (x) => x.own.p99),
      perS: med(s.rounds.cached, (x) => x.perS),
      perSRecorded: med(s.rounds.cached, (x) => x.perSRecorded),
      cpuUs: med(s.rounds.cached, (x) => x.cpuUs),
      durP50: med(s.rounds.cached, (x) => x.durable.p50),
      durP99: med(s.rounds.cached, (x) => x.durable.p99),
      uP50: med(s.rounds.unique, (x) => x.wall.p50),
      uP99: med(s.rounds.unique, (x) => x.wall.p99),
      uOwnP50: med(s.rounds.unique, (x) => x.own.p50),
      peerP50: med(s.rounds.peer, (x) => x.p50),
      policyP50: med(s.rounds.policy, (x) => x.p50),
      policyP99: med(s.rounds.policy, (x) => x.p99),
      peerP99: med(s.rounds.peer, (x) => x.p99),
      peerAmidP50: med(s.rounds.peerAmid, (x) => x.p50),
      peerAmidP99: med(s.rounds.peerAmid, (x) => x.p99),
      peerDetectAmidP50: med(s.rounds.peerDetectAmid, (x) => x.p50),
      peerDetectAmidP99: med(s.rounds.peerDetectAmid, (x) => x.p99),
      peerPerS: med(s.rounds.peer, (x) => x.perS),
      roundP50s: s.rounds.cached.map((x) => fmtUs(x.wall.p50)).join(', '),
      sweep: s.sweep,
      agents: s.agents,
      policies: s.policies,
      loadS: s.loadS,
    }));
    const end = machine();
    const out = [];
    out.push(
      `# bench:decide — ${info.cores} cores (nproc), ${info.cpu}, Node ${info.node}, ${info.date}`,
    );
    out.push(
      `load average ${info.load} at start, ${end.load} at end; ${ROUNDS} rounds of ${fmtInt(N)} sequential decisions per size and variant (medians over rounds); ${rows[0] ? Math.min(ACTIVE, rows.at(-1).agents) : 0} active agents`,
    );
    out.push('');
    out.push(
      '| policies (agents) | p50 / p99 µs wall | p50 / p99 µs latencyUs | decisions/s (with recording) | CPU µs each incl. audit | unique SQL p50 / p99 µs | durable p50 / p99 ms | policy step only p50 / p99 µs | peer p50 / p99 µs | peer/s | zt4ai ÷ peer p50 (policy step ÷ peer) |',
    );
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      out.push(
        `| ${fmtInt(r.size)} (+13 baseline; ${fmtInt(r.agents)}) | ${fmtUs(r.p50)} / ${fmtUs(r.p99)} | ${fmtUs(r.ownP50)} / ${fmtUs(r.ownP99)} | ${fmtInt(r.perS)} (${fmtInt(r.perSRecorded)}) | ${fmtUs(r.cpuUs)} | ${fmtUs(r.uP50)} / ${fmtUs(r.uP99)} | ${(r.durP50 / 1000).toFixed(1)} / ${(r.durP99 / 1000).toFixed(1)} | ${fmtUs(r.policyP50)} / ${fmtUs(r.policyP99)} | ${fmtUs(r.peerP50)} / ${fmtUs(r.peerP99)} | ${fmtInt(r.peerPerS)} | ${(r.p50 / r.peerP50).toFixed(2)}× (${(r.policyP50 / r.peerP50).toFixed(2)}×) |`,
      );
    }
    out.push('');
    out.push(
      'Peer amid audit commits (between two calls the loop turns and one decision entry commits, as around our decisions), p50 / p99 µs and zt4ai ÷ it: ' +
        rows
          .map(
            (r) =>
              `${r.size}: ${fmtUs(r.peerAmidP50)} / ${fmtUs(r.peerAmidP99)} (${(r.p50 / r.peerAmidP50).toFixed(2)}×)`,
          )
          .join('; '),
    );
    out.push(
      'Peer with our detectors amid audit commits (the facts its rules read computed by our detectors inside the timed region, as in our decision), p50 / p99 µs and zt4ai ÷ it: ' +
        rows
          .map(
            (r) =>
              `${r.size}: ${fmtUs(r.peerDetectAmidP50)} / ${fmtUs(r.peerDetectAmidP99)} (${(r.p50 / r.peerDetectAmidP50).toFixed(2)}×)`,
          )
          .join('; '),
    );
    out.push(
      'Round p50s µs (wall, cached SQL): ' +
        rows.map((r) => `${r.size}: ${r.roundP50s}`).join('; '),
    );
    out.push(
      'All agents in turn (slice cache of 1,024 agents): ' +
        rows
          .map(
            (r) =>
              `${r.size} (${fmtInt(r.agents)} agents): p50 ${fmtUs(r.sweep.wall.p50)} / p99 ${fmtUs(r.sweep.wall.p99)} µs`,
          )
          .join('; '),
    );
    out.push(
      'PolicySet.load (validation of the whole set): ' +
        rows.map((r) => `${r.size}: ${r.loadS.toFixed(2)} s`).join('; '),
    );
    out.push(`audit log size at the end: ${fmtInt(auditSize)} entries (every decision recorded)`);
    const first = rows[0];
    const last = rows.at(-1);
    const flat = last.p50 / first.p50;
    const maxP50 = Math.max(...rows.map((r) => r.p50));
    const beatsPeer = rows.filter((r) => r.size >= 100).every((r) => r.p50 < r.peerP50);
    out.push('');
    out.push(
      `Targets: ${last.size} ÷ ${first.size} p50 = ${flat.toFixed(2)}× (≤ ${TARGETS.flatness}×: ${flat <= TARGETS.flatness ? 'met' : 'missed'}); p50 ≤ ${TARGETS.p50Us} µs at every size: ${maxP50 <= TARGETS.p50Us ? 'met' : 'missed'} (max ${fmtUs(maxP50)}); faster than the peer from 100 up: ${beatsPeer ? 'met' : 'missed'}`,
    );
    const keyed = (pick) => Object.fromEntries(rows.map((r) => [String(r.size), round1(pick(r))]));
    out.push(
      JSON.stringify({
        bench: 'decide',
        p50_us: keyed((r) => r.p50),
        p99_us: keyed((r) => r.p99),
        peer_p50_us: keyed((r) => r.peerP50),
      }),
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await runCleanups(cleanups, log);
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
