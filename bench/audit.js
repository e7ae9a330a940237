// Audit-log benchmark: durable appends (SQLite, PostgreSQL), proofs and verify at 1M entries, and the AGT AuditLogger peer.
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLogger } from '@microsoft/agent-governance-sdk';
import pg from 'pg';
import { loadConfig, openControlPlane } from '../packages/gateway/dist/index.js';
import {
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '../packages/verify/dist/index.js';
import {
  cpuSeconds,
  fmtInt,
  machine,
  median,
  positiveIntEnv as int,
  runCleanups,
  summarize,
  verdict,
} from './support.js';

// Sizes can be lowered for a quick try (e.g. BENCH_TOTAL=100000); the published figures use the defaults.
const SQLITE_N = int('BENCH_SQLITE_N', 200_000);
const PG_N = int('BENCH_PG_N', 50_000);
const ROUNDS = int('BENCH_ROUNDS', 3);
const TOTAL = Math.max(int('BENCH_TOTAL', 1_000_000), (ROUNDS + 1) * SQLITE_N);
const IN_FLIGHT = int('BENCH_IN_FLIGHT', 3_000);
const PROOFS = int('BENCH_PROOFS', 1_000);
const PG_BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = { sqliteAppendsPerS: 20_000, proofMs: 1, verifyS: 30 };

const log = (message) => process.stderr.write(`[bench:audit ${elapsed()}] ${message}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;

// ---------------------------------------------------------------------------------------------
// Entries: one deterministic list of realistic decision events, used for us and for the peer.

const AGENTS = 64;
const TOOLS = [
  'db/query',
  'db/write',
  'http/get',
  'http/post',
  'fs/read',
  'mail/send',
  'search/web',
];
const DECISIONS = ['allow', 'allow', 'allow', 'allow', 'deny', 'review'];
const REASONS = [
  'policy:tools.read matched rule 3',
  'trust:score 812 >= 700',
  'rate:12/60 calls in window',
  'scope:tenant acme-prod',
  'dlp:no secrets in arguments',
  'policy:egress allow-list',
];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rand, n) => {
  let s = '';
  while (s.length < n)
    s += Math.floor(rand() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
};

/** The i-th event: same bytes on every run, for us and for the peer. */
function eventAt(i) {
  const rand = mulberry32(i * 2654435761 + 17);
  const r0 = Math.floor(rand() * REASONS.length);
  return {
    type: 'decision',
    agent: `agent-${Math.floor(rand() * AGENTS)}`,
    decision: DECISIONS[Math.floor(rand() * DECISIONS.length)],
    reasons: [REASONS[r0], REASONS[(r0 + 1 + Math.floor(rand() * 3)) % REASONS.length]],
    refs: { tool: TOOLS[Math.floor(rand() * TOOLS.length)], session: `s-${hex(rand, 8)}` },
    payloadDigest: `sha256:${hex(rand, 64)}`,
  };
}

/**
 * The peer's AuditLogger hashes only {timestamp, agentId, action, decision, previousHash}, so the
 * rest of the event goes into `action`: both logs then commit to the same information.
 */
function peerEntry(event) {
  const { agent, decision, ...rest } = event;
  return { agentId: agent, action: JSON.stringify(rest), decision };
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

/**
 * Appends events [from, to) keeping `window` appends in flight; records each append's latency
 * (submit → index resolved, i.e. durable) when `latencies` is given.
 */
function drive(audit, from, to, window, getEvent, latencies) {
  return new Promise((resolve, reject) => {
    let next = from;
    let done = from;
    let failed = false;
    let lastReport = performance.now();
    const launch = () => {
      while (!failed && next < to && next - done < window) {
        const i = next++;
        const t0 = performance.now();
        audit.append(getEvent(i)).then(
          (index) => {
            if (latencies !== undefined) latencies[i - from] = performance.now() - t0;
            if (index !== i) {
              failed = true;
              reject(new Error(`append ${i} resolved with index ${index}`));
              return;
            }
            done++;
            if (done === to) resolve();
            else if (done % 2048 === 0) {
              const now = performance.now();
              if (now - lastReport > 5000) {
                lastReport = now;
                log(`  ${done.toLocaleString('en-US')} / ${to.toLocaleString('en-US')} entries`);
              }
            }
            launch();
          },
          (error) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    launch();
  });
}

/** Throughput phase: `count` appends of events [from, from+count); returns rate and latencies. */
async function throughput(audit, from, count, events) {
  const latencies = new Float64Array(count);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(audit, from, from + count, IN_FLIGHT, (i) => events[i - from], latencies);
  await audit.flush();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  return { count, seconds, cpu, perS: count / seconds, ...summarize(latencies) };
}

async function timeEach(n, fn) {
  const times = new Float64Array(n);
  const results = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    results.push(await fn(k));
    times[k] = performance.now() - t0;
  }
  return { results, ...summarize(times), mean: times.reduce((a, b) => a + b, 0) / n };
}

const config = (dataDir, databaseUrl) =>
  loadConfig({
    flags: { dataDir, ...(databaseUrl ? { databaseUrl } : {}) },
    env: {},
    cwd: dataDir,
  });

// ---------------------------------------------------------------------------------------------
// The run.

/** Events [from, from + count), generated before a timed phase so generation is not timed. */
const segment = (from, count) => Array.from({ length: count }, (_, k) => eventAt(from + k));

/** The median of each figure over rounds, and the spread of the rates. */
const overRounds = (rounds) => ({
  count: rounds[0].count,
  perS: median(rounds.map((r) => r.perS)),
  p50: median(rounds.map((r) => r.p50)),
  p99: median(rounds.map((r) => r.p99)),
  rates: rounds.map((r) => Math.round(r.perS)),
  cpuUsPerAppend: median(rounds.map((r) => (r.cpu / r.count) * 1e6)),
});

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-'));
  const schema = `bench_audit_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  const cleanups = [() => rmSync(dataDir, { recursive: true, force: true })];
  const results = { machine: machine() };
  if (Number(results.machine.load) > 0.5) {
    log(`warning: load average is ${results.machine.load} before the run; figures will be low`);
  }
  try {
    const sampleBytes = segment(0, 1000).map((e) =>
      Buffer.byteLength(JSON.stringify({ ...e, index: 123456, time: new Date().toISOString() })),
    );
    results.entryBytes = sampleBytes.reduce((a, b) => a + b, 0) / sampleBytes.length;

    // --- SQLite: throughput rounds, then fill to TOTAL, proofs, verify ------------------------
    log(`SQLite store in ${dataDir}; ${IN_FLIGHT} appends in flight`);
    const sqlite = await openControlPlane(config(join(dataDir, 'sqlite')));
    cleanups.unshift(() => sqlite.close());
    const sqliteRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const from = r * SQLITE_N;
      const events = segment(from, SQLITE_N);
      log(`SQLite round ${r + 1}/${ROUNDS}: ${fmtInt(SQLITE_N)} durable appends`);
      sqliteRounds.push(await throughput(sqlite.audit, from, SQLITE_N, events));
      log(`  ${fmtInt(sqliteRounds[r].perS)} appends/s, p99 ${fmtMs(sqliteRounds[r].p99)} ms`);
    }
    results.sqlite = overRounds(sqliteRounds);
    const midCheckpoint = verifyCheckpoint(await sqlite.audit.checkpoint(), sqlite.audit.vkey);

    const filled = ROUNDS * SQLITE_N;
    if (TOTAL > filled) {
      log(`SQLite: filling to ${fmtInt(TOTAL)} entries`);
      const t0 = performance.now();
      await drive(sqlite.audit, filled, TOTAL, IN_FLIGHT, eventAt);
      await sqlite.audit.flush();
      const seconds = (performance.now() - t0) / 1000;
      results.fill = { count: TOTAL - filled, seconds, perS: (TOTAL - filled) / seconds };
      log(`  ${fmtInt(results.fill.perS)} appends/s while filling`);
    }
    const size = await sqlite.audit.size();
    if (size !== TOTAL) throw new Error(`log size is ${size}, expected ${TOTAL}`);
    const head = verifyCheckpoint(await sqlite.audit.checkpoint(), sqlite.audit.vkey);

    log(`SQLite: ${PROOFS} inclusion and ${PROOFS} consistency proofs at ${fmtInt(size)}`);
    const rand = mulberry32(42);
    await sqlite.audit.inclusionProof(0); // warm the statement cache
    const inclusion = await timeEach(PROOFS, () =>
      sqlite.audit.inclusionProof(Math.floor(rand() * size)),
    );
    for (const p of inclusion.results) {
      verifyInclusion(p.leafIndex, p.treeSize, p.leafHash, p.hashes, head.rootHash);
    }
    const consistency = await timeEach(PROOFS, () =>
      sqlite.audit.consistencyProof(1 + Math.floor(rand() * (size - 1))),
    );
    const check = await sqlite.audit.consistencyProof(midCheckpoint.size);
    verifyConsistency(
      midCheckpoint.size,
      size,
      check.hashes,
      midCheckpoint.rootHash,
      head.rootHash,
    );
    results.inclusion = {
      ...inclusion,
      results: undefined,
      hashes: inclusion.results[0].hashes.length,
    };
    results.consistency = { ...consistency, results: undefined };
    log(
      `  inclusion p50 ${fmtMs(inclusion.p50)} ms, consistency p50 ${fmtMs(consistency.p50)} ms (all checked)`,
    );

    log(`SQLite: verify() of ${fmtInt(size)} entries`);
    const vc = process.cpuUsage();
    const v0 = performance.now();
    const report = await sqlite.audit.verify();
    results.verify = { seconds: (performance.now() - v0) / 1000, cpu: cpuSeconds(vc), report };
    if (!report.ok || report.size !== size)
      throw new Error(`verify failed: ${JSON.stringify(report)}`);
    log(`  ${results.verify.seconds.toFixed(2)} s, ok, ${report.checkpoints} checkpoints`);
    await sqlite.close();
    cleanups.shift();

    // --- PostgreSQL: throughput rounds in a fresh schema --------------------------------------
    log(`PostgreSQL store in schema ${schema}`);
    await admin.connect();
    cleanups.unshift(() => admin.end());
    await admin.query(`create schema ${schema}`);
    cleanups.unshift(() => admin.query(`drop schema if exists ${schema} cascade`));
    const url = `${PG_BASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const postgres = await openControlPlane(config(join(dataDir, 'postgres'), url));
    cleanups.unshift(() => postgres.close());
    const tables = await admin.query(
      `select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = 'audit_entries'`,
      [schema],
    );
    if (tables.rows[0].n !== 1)
      throw new Error(`the PostgreSQL store did not use schema ${schema}`);
    const pgRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const from = r * PG_N;
      const events = segment(from, PG_N);
      log(`PostgreSQL round ${r + 1}/${ROUNDS}: ${fmtInt(PG_N)} durable appends`);
      pgRounds.push(await throughput(postgres.audit, from, PG_N, events));
      log(`  ${fmtInt(pgRounds[r].perS)} appends/s, p99 ${fmtMs(pgRounds[r].p99)} ms`);
    }
    results.postgres = overRounds(pgRounds);
    const pv0 = performance.now();
    const pgReport = await postgres.audit.verify();
    results.postgres.verify = { seconds: (performance.now() - pv0) / 1000, report: pgReport };
    if (!pgReport.ok) throw new Error(`PostgreSQL verify failed: ${JSON.stringify(pgReport)}`);
    await postgres.close();
    cleanups.shift();

    // --- Peer: @microsoft/agent-governance-sdk AuditLogger, in memory -------------------------
    // The same events at the same positions: rounds timed as a whole (no per-call timer), then one
    // segment with a timer around each call for latency, then the rest up to TOTAL, then verify().
    const peer = new AuditLogger({ maxEntries: TOTAL + 1 });
    const peerRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const inputs = segment(r * SQLITE_N, SQLITE_N).map(peerEntry);
      log(`peer round ${r + 1}/${ROUNDS}: ${fmtInt(SQLITE_N)} AuditLogger.log() calls`);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const input of inputs) peer.log(input);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(c0);
      peerRounds.push({
        count: SQLITE_N,
        seconds,
        cpu,
        perS: SQLITE_N / seconds,
        p50: NaN,
        p99: NaN,
      });
      log(`  ${fmtInt(peerRounds[r].perS)} appends/s`);
    }
    results.peer = overRounds(peerRounds);
    const inputs = segment(filled, SQLITE_N).map(peerEntry);
    const latencies = new Float64Array(SQLITE_N);
    for (let k = 0; k < SQLITE_N; k++) {
      const t0 = performance.now();
      peer.log(inputs[k]);
      latencies[k] = performance.now() - t0;
    }
    Object.assign(results.peer, summarize(latencies));
    log(`peer: filling to ${fmtInt(TOTAL)} entries`);
    for (let i = filled + SQLITE_N; i < TOTAL; i++) peer.log(peerEntry(eventAt(i)));
    if (peer.length !== TOTAL)
      throw new Error(`peer holds ${peer.length} entries, expected ${TOTAL}`);
    log(`peer: verify() of ${fmtInt(TOTAL)} entries`);
    const pc = process.cpuUsage();
    const pv = performance.now();
    const peerOk = peer.verify();
    results.peer.verify = {
      seconds: (performance.now() - pv) / 1000,
      cpu: cpuSeconds(pc),
      ok: peerOk,
    };
    if (!peerOk) throw new Error('peer verify() returned false');
    log(`  ${results.peer.verify.seconds.toFixed(2)} s, ok`);
  } finally {
    await runCleanups(cleanups, log);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmtMs = (n) => (n < 10 ? n.toFixed(3) : n.toFixed(1));
const cpuPer = (f) => `${f.cpuUsPerAppend.toFixed(0)} µs CPU each`;
const rounds = (f) => `${ROUNDS} x ${fmtInt(f.count)}: ${f.rates.map(fmtInt).join(', ')}`;

function table(r) {
  const m = r.machine;
  const rows = [
    ['figure', 'zt4ai (this repo)', 'peer: AGT AuditLogger', 'ratio', 'target'],
    [
      'durable appends/s, SQLite',
      `${fmtInt(r.sqlite.perS)} (median of ${ROUNDS}; ${cpuPer(r.sqlite)})`,
      `${fmtInt(r.peer.perS)} (median of ${ROUNDS}; ${cpuPer(r.peer)}; in memory)`,
      `${(r.sqlite.perS / r.peer.perS).toFixed(3)}x`,
      `>= ${fmtInt(TARGETS.sqliteAppendsPerS)}: ${verdict(r.sqlite.perS >= TARGETS.sqliteAppendsPerS)}`,
    ],
    [
      'append latency p50 / p99 ms, SQLite (median)',
      `${fmtMs(r.sqlite.p50)} / ${fmtMs(r.sqlite.p99)}`,
      `${fmtMs(r.peer.p50)} / ${fmtMs(r.peer.p99)}`,
      '',
      '',
    ],
    [
      'durable appends/s, PostgreSQL',
      `${fmtInt(r.postgres.perS)} (median of ${ROUNDS}; ${cpuPer(r.postgres)})`,
      '-',
      `${(r.postgres.perS / r.peer.perS).toFixed(3)}x`,
      '',
    ],
    [
      'append latency p50 / p99 ms, PostgreSQL (median)',
      `${fmtMs(r.postgres.p50)} / ${fmtMs(r.postgres.p99)}`,
      '-',
      '',
      '',
    ],
  ];
  if (r.fill !== undefined) {
    rows.push([
      `appends/s filling to ${fmtInt(TOTAL)}, SQLite`,
      `${fmtInt(r.fill.perS)} (${fmtInt(r.fill.count)} appends)`,
      '-',
      '',
      '',
    ]);
  }
  rows.push(
    [
      `inclusion proof ms at ${fmtInt(TOTAL)} (p50 / p99)`,
      `${fmtMs(r.inclusion.p50)} / ${fmtMs(r.inclusion.p99)} (${r.inclusion.hashes} hashes)`,
      'none (hash chain)',
      '',
      `<= ${TARGETS.proofMs} ms: ${verdict(r.inclusion.p50 <= TARGETS.proofMs)}`,
    ],
    [
      `consistency proof ms at ${fmtInt(TOTAL)} (p50 / p99)`,
      `${fmtMs(r.consistency.p50)} / ${fmtMs(r.consistency.p99)}`,
      'none (hash chain)',
      '',
      '',
    ],
    [
      `verify s at ${fmtInt(TOTAL)} entries`,
      `${r.verify.seconds.toFixed(2)} (ok; ${r.verify.cpu.toFixed(1)} s CPU; store, ${r.verify.report.checkpoints} checkpoints)`,
      `${r.peer.verify.seconds.toFixed(2)} (ok; ${r.peer.verify.cpu.toFixed(1)} s CPU; in memory)`,
      `${(r.verify.seconds / r.peer.verify.seconds).toFixed(1)}x`,
      `<= ${TARGETS.verifyS} s: ${verdict(r.verify.seconds <= TARGETS.verifyS)}`,
    ],
    [
      `verify s, PostgreSQL (${fmtInt(ROUNDS * r.postgres.count)} entries)`,
      `${r.postgres.verify.seconds.toFixed(2)} (ok)`,
      '-',
      '',
      '',
    ],
  );
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [
    `zt4ai audit-log benchmark — ${m.date}`,
    `machine: ${m.cores} cores, ${m.cpu}, node ${m.node}, ${process.platform}/${process.arch}`,
    `load average at start / end: ${m.load} / ${loadavg()[0].toFixed(2)} (1 min)`,
    `entries: ~${Math.round(r.entryBytes)} bytes of canonical JSON each; ${IN_FLIGHT} appends in flight; ` +
      `latency = submit to durable index`,
    '',
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    '',
    `rounds, appends/s: SQLite ${rounds(r.sqlite)}; PostgreSQL ${rounds(r.postgres)}; peer ${rounds(r.peer)}`,
    "CPU = this process's user+system time (PostgreSQL server time not included); wall-clock figures",
    'depend on other load on the machine, CPU figures much less.',
    'zt4ai: SQLite WAL synchronous=FULL / PostgreSQL, each batch one transaction with tree nodes and a',
    'signed checkpoint, index resolved only once committed. Peer: in-memory hash chain, not durable, no',
    'signatures, no proofs; same events (fields other than agent/decision go into its `action`).',
  ].join('\n');
}

main()
  .then((r) => {
    process.stdout.write(`${table(r)}\n`);
    const round = (n, d) => Number(n.toFixed(d));
    const summary = {
      bench: 'audit',
      sqlite_appends_per_s: Math.round(r.sqlite.perS),
      postgres_appends_per_s: Math.round(r.postgres.perS),
      append_p99_ms: round(r.sqlite.p99, 2),
      proof_ms_at_1m: round(r.inclusion.p50, 3),
      verify_s_at_1m: round(r.verify.seconds, 2),
      peer_appends_per_s: Math.round(r.peer.perS),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  })
  .catch((error) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (error?.cause) log(`cause: ${error.cause.stack ?? error.cause}`);
    process.exitCode = 1;
  });
