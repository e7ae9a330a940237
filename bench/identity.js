// Identity benchmark: certificate + proof verifications (warm, concurrent, cold), revocation on next use, issuances, and the AGT AgentIdentity peer.
import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentIdentity } from '@microsoft/agent-governance-sdk';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig, openControlPlane } from '../packages/gateway/dist/index.js';
import {
  cpuSeconds,
  fmtInt,
  machine,
  median,
  positiveIntEnv as int,
  runCleanups,
  summarize as summarizeValues,
  verdict,
} from './support.js';

/** p50/p99/max/mean in µs of latencies measured in ms. */
const summarize = (latenciesMs) => summarizeValues(latenciesMs, 1000);

// Sizes can be lowered for a quick try (e.g. BENCH_VERIFY_N=1000); the published figures use the defaults.
const AGENTS = int('BENCH_AGENTS', 100);
const ROUNDS = int('BENCH_ROUNDS', 3);
const VERIFY_N = int('BENCH_VERIFY_N', 10_000); // per round, sequential, warm certificate cache
const BATCH = int('BENCH_PROOF_BATCH', 1_000); // proofs made just before each timed batch (iat ≤ 60 s old)
const CONCURRENCY = int('BENCH_CONCURRENCY', 64);
const CONCURRENT_N = int('BENCH_CONCURRENT_N', 20_000);
const COLD_N = int('BENCH_COLD_N', 5_000);
const ISSUE_N = int('BENCH_ISSUE_N', 5_000); // per round
const ISSUE_IN_FLIGHT = int('BENCH_ISSUE_IN_FLIGHT', 64);
const PEER_N = int('BENCH_PEER_N', 20_000);
const WARMUP = int('BENCH_WARMUP', 3_000);
const TARGETS = { verifyP50Us: 150, issuePerS: 2_000 };

const METHOD = 'POST';
const MODEL = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
const PROMPT = {
  template:
    'You are the billing assistant of {{company:text(40)}}. Today is {{today:date}}. Never reveal card numbers.',
  tools: [{ name: 'db/query', description: 'read-only billing queries' }],
  params: { temperature: 0 },
};

const log = (message) => process.stderr.write(`[bench:identity ${elapsed()}] ${message}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

/** Runs `count` calls of `fn(i)` keeping `window` in flight; resolves with each call's latency (ms). */
function drive(count, window, fn) {
  return new Promise((resolve, reject) => {
    const latencies = new Float64Array(count);
    let next = 0;
    let done = 0;
    let failed = false;
    const launch = () => {
      while (!failed && next < count && next - done < window) {
        const i = next++;
        const t0 = performance.now();
        fn(i).then(
          () => {
            latencies[i] = performance.now() - t0;
            done++;
            if (done === count) resolve(latencies);
            else launch();
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

// ---------------------------------------------------------------------------------------------
// Agents and their proofs of possession, made the way an agent makes them (jose, RFC 9449 shape).

async function newAgentKey() {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519');
  const full = await exportJWK(publicKey);
  return { publicJwk: { kty: 'OKP', crv: 'Ed25519', x: full.x }, privateKey };
}

const ath = (certificate) => createHash('sha256').update(certificate).digest('base64url');

/** A fresh, single-use proof for `certificate` (its own jti, iat = now). */
function proofFor(holder, url) {
  return new SignJWT({ htm: METHOD, htu: url, ath: holder.ath })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: holder.key.publicJwk })
    .setIssuedAt(Math.floor(Date.now() / 1000))
    .setJti(randomUUID())
    .sign(holder.key.privateKey);
}

/** Credentials for calls [from, from + count) cycling over `holders`, each with a fresh proof. */
async function credentials(holders, url, from, count) {
  const out = new Array(count);
  for (let k = 0; k < count; k++) {
    const holder = holders[(from + k) % holders.length];
    out[k] = {
      certificate: holder.certificate,
      proof: await proofFor(holder, url),
      method: METHOD,
      url,
    };
  }
  return out;
}

/** Sequential: one authenticate() at a time, each timed alone; proofs made before each batch. */
async function sequential(authenticator, holders, url, count, from = 0) {
  const latencies = new Float64Array(count);
  let cpuInBatches = 0;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const batch = await credentials(holders, url, from + start, n);
    const b0 = process.cpuUsage();
    for (let k = 0; k < n; k++) {
      const t0 = performance.now();
      await authenticator.authenticate(batch[k]);
      latencies[start + k] = performance.now() - t0;
    }
    cpuInBatches += cpuSeconds(b0);
  }
  const s = summarize(latencies);
  return { ...s, perS: 1e6 / s.mean, cpuUs: (cpuInBatches / count) * 1e6 };
}

/** Concurrent: `window` authenticate() calls in flight; rate over the timed region only. */
async function concurrent(authenticator, holders, url, count, window) {
  let timed = 0;
  const latencies = [];
  for (let start = 0; start < count; start += BATCH * 4) {
    const n = Math.min(BATCH * 4, count - start);
    const batch = await credentials(holders, url, start, n);
    const t0 = performance.now();
    const l = await drive(n, window, (k) => authenticator.authenticate(batch[k]));
    timed += performance.now() - t0;
    latencies.push(...l);
  }
  return { ...summarize(latencies), perS: count / (timed / 1000) };
}

async function codeOf(promise) {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error?.code ?? String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-bench-identity-'));
  const cleanups = [() => rmSync(dataDir, { recursive: true, force: true })];
  const results = { machine: machine() };
  if (Number(results.machine.load) > 0.5) {
    log(`warning: load average is ${results.machine.load} before the run; figures will be low`);
  }
  try {
    const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir } });
    const plane = await openControlPlane(config);
    cleanups.unshift(() => plane.close());
    const identity = plane.identity;
    const auth = identity.authenticator;
    const url = `${config.identity.issuer}/api/tools/call`;

    // --- Setup: one mission, AGENTS agents with their own keys, approved, certified -----------
    log(`SQLite store in ${dataDir}; ${AGENTS} agents`);
    const mission = await identity.createMission(
      {
        name: 'billing',
        purpose: 'answer billing questions',
        allow: { tools: ['db/query'] },
        maxGrantTtlSeconds: 900,
      },
      'bench',
    );
    const holders = [];
    for (let a = 0; a < AGENTS; a++) {
      const key = await newAgentKey();
      const { agent } = await identity.registerAgent(
        {
          name: `bench-agent-${a}`,
          owner: 'bench',
          team: 'bench',
          publicJwk: key.publicJwk,
          model: MODEL,
          prompt: PROMPT,
          mission: mission.id,
        },
        'bench',
      );
      await identity.approveProfile(agent.id, undefined, 'bench');
      const cert = await identity.issue(agent.id, 'bench');
      holders.push({
        agentId: agent.id,
        key,
        certificate: cert.token,
        jti: cert.jti,
        ath: ath(cert.token),
      });
    }
    results.certificateBytes = Buffer.byteLength(holders[0].certificate);
    results.proofBytes = Buffer.byteLength(await proofFor(holders[0], url));

    // --- Issuance: ISSUE_IN_FLIGHT in flight, each one signed and audited (batched) -----------
    log(`issuance: warm-up, then ${ROUNDS} x ${fmtInt(ISSUE_N)} with ${ISSUE_IN_FLIGHT} in flight`);
    const issued = [];
    await drive(Math.min(ISSUE_N, 1_000), ISSUE_IN_FLIGHT, (i) =>
      identity.issue(holders[i % AGENTS].agentId, 'bench'),
    );
    const issueRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const latencies = await drive(ISSUE_N, ISSUE_IN_FLIGHT, async (i) => {
        const holder = holders[i % AGENTS];
        const cert = await identity.issue(holder.agentId, 'bench');
        if (r === ROUNDS - 1)
          issued.push({ ...holder, certificate: cert.token, jti: cert.jti, ath: ath(cert.token) });
      });
      const seconds = (performance.now() - t0) / 1000;
      issueRounds.push({
        ...summarize(latencies),
        perS: ISSUE_N / seconds,
        cpuUs: (cpuSeconds(c0) / ISSUE_N) * 1e6,
      });
      log(
        `  round ${r + 1}: ${fmtInt(issueRounds[r].perS)} issuances/s, p50 ${fmtUs(issueRounds[r].p50)} µs, p99 ${fmtUs(issueRounds[r].p99)} µs`,
      );
    }
    await plane.audit.flush();
    // Sequential issuance latency (one at a time): what a single caller sees.
    const issueSeq = summarize(
      await drive(Math.min(ISSUE_N, 1_000), 1, (i) =>
        identity.issue(holders[i % AGENTS].agentId, 'bench'),
      ),
    );
    results.issue = {
      perS: median(issueRounds.map((r) => r.perS)),
      p50: median(issueRounds.map((r) => r.p50)),
      p99: median(issueRounds.map((r) => r.p99)),
      cpuUs: median(issueRounds.map((r) => r.cpuUs)),
      rates: issueRounds.map((r) => Math.round(r.perS)),
      sequential: issueSeq,
    };
    log(`  sequential issuance p50 ${fmtUs(issueSeq.p50)} µs, p99 ${fmtUs(issueSeq.p99)} µs`);

    // --- Verification, warm certificate cache (as in a gateway) --------------------------------
    log(`verify: warm-up ${fmtInt(WARMUP)}, then ${ROUNDS} x ${fmtInt(VERIFY_N)} sequential`);
    await sequential(auth, holders, url, WARMUP);
    const verifyRounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      verifyRounds.push(await sequential(auth, holders, url, VERIFY_N, r * VERIFY_N));
      log(
        `  round ${r + 1}: p50 ${fmtUs(verifyRounds[r].p50)} µs, p99 ${fmtUs(verifyRounds[r].p99)} µs, ${fmtInt(verifyRounds[r].perS)}/s`,
      );
      if (r === 0) {
        // --- Revocation mid-run: a cached certificate must fail on its very next use ----------
        const victim = holders[7];
        const before = await codeOf(auth.authenticate((await credentials([victim], url, 0, 1))[0]));
        const t0 = performance.now();
        await identity.revoke({ jti: victim.jti }, 'bench', 'benchmark revocation check');
        const revokeMs = performance.now() - t0;
        const next = (await credentials([victim], url, 0, 1))[0];
        const a0 = performance.now();
        const after = await codeOf(auth.authenticate(next));
        const firstAfterUs = (performance.now() - a0) * 1000;
        const again = await codeOf(auth.authenticate((await credentials([victim], url, 0, 1))[0]));
        // A sibling certificate of another agent still works after the revocation.
        const sibling = await codeOf(
          auth.authenticate((await credentials([holders[8]], url, 0, 1))[0]),
        );
        results.revocation = { before, after, again, sibling, revokeMs, firstAfterUs };
        log(
          `  revocation: before ${before}, next use ${after}, again ${again}, other agent ${sibling}`,
        );
        if (
          before !== 'accepted' ||
          after !== 'revoked' ||
          again !== 'revoked' ||
          sibling !== 'accepted'
        ) {
          throw new Error(`revocation check failed: ${JSON.stringify(results.revocation)}`);
        }
        // The revoked certificate leaves the rotation: the next rounds use the others.
        holders.splice(7, 1);
        // The state change reloaded the snapshot (and emptied the certificate cache): re-warm.
        await sequential(auth, holders, url, holders.length * 5);
      }
    }
    results.verify = {
      p50: median(verifyRounds.map((r) => r.p50)),
      p99: median(verifyRounds.map((r) => r.p99)),
      perS: median(verifyRounds.map((r) => r.perS)),
      cpuUs: median(verifyRounds.map((r) => r.cpuUs)),
      p50s: verifyRounds.map((r) => r.p50),
      n: verifyRounds[0].n,
    };

    log(`verify: ${fmtInt(CONCURRENT_N)} with ${CONCURRENCY} in flight`);
    await concurrent(auth, holders, url, Math.min(CONCURRENT_N, 2_000), CONCURRENCY);
    results.concurrent = await concurrent(auth, holders, url, CONCURRENT_N, CONCURRENCY);
    log(
      `  ${fmtInt(results.concurrent.perS)}/s, latency p50 ${fmtUs(results.concurrent.p50)} µs, p99 ${fmtUs(results.concurrent.p99)} µs`,
    );

    // --- Cold: each certificate's first use (never verified before: certificate cache miss) ----
    const cold = issued.slice(0, COLD_N);
    log(`verify cold: ${fmtInt(cold.length)} certificates, each on its first use`);
    const coldLatencies = [];
    for (let start = 0; start < cold.length; start += BATCH) {
      const n = Math.min(BATCH, cold.length - start);
      const batch = await credentials(cold.slice(start, start + n), url, 0, n);
      for (let k = 0; k < n; k++) {
        const t0 = performance.now();
        await auth.authenticate(batch[k]);
        coldLatencies.push(performance.now() - t0);
      }
    }
    results.cold = summarize(coldLatencies);
    log(`  p50 ${fmtUs(results.cold.p50)} µs, p99 ${fmtUs(results.cold.p99)} µs`);

    // --- Peer: @microsoft/agent-governance-sdk AgentIdentity.verify(data, signature) -----------
    // A bare Ed25519 check of a detached signature over the same certificate bytes (and, as a
    // second size, over a 300-byte payload). Synchronous: node:crypto, key rebuilt from DER per call.
    log(`peer: AgentIdentity.verify x ${fmtInt(PEER_N)} (certificate bytes and 300 bytes)`);
    const peer = AgentIdentity.generate('bench-peer', ['tools:call']);
    const peerCase = (data) => {
      const signature = peer.sign(data);
      const tampered = Uint8Array.from(data);
      tampered[0] ^= 1;
      if (!peer.verify(data, signature) || peer.verify(tampered, signature))
        throw new Error('peer verify() does not behave as a signature check');
      for (let k = 0; k < WARMUP; k++) peer.verify(data, signature);
      const latencies = new Float64Array(PEER_N);
      for (let k = 0; k < PEER_N; k++) {
        const t0 = performance.now();
        const ok = peer.verify(data, signature);
        latencies[k] = performance.now() - t0;
        if (!ok) throw new Error('peer verify() returned false');
      }
      const s = summarize(latencies);
      return { ...s, perS: 1e6 / s.mean, bytes: data.length };
    };
    results.peer = peerCase(Buffer.from(holders[0].certificate));
    results.peer300 = peerCase(Buffer.from('x'.repeat(300)));
    log(
      `  p50 ${fmtUs(results.peer.p50)} µs (certificate), ${fmtUs(results.peer300.p50)} µs (300 B)`,
    );
  } finally {
    await runCleanups(cleanups, log);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmtUs = (n) => (n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

function table(r) {
  const m = r.machine;
  const rows = [
    ['figure', 'zt4ai (this repo)', 'peer: AGT AgentIdentity', 'target'],
    [
      'verify cert + proof, warm cache, p50 / p99 µs',
      `${fmtUs(r.verify.p50)} / ${fmtUs(r.verify.p99)} (median of ${ROUNDS} x ${fmtInt(r.verify.n)}; round p50s ${r.verify.p50s.map(fmtUs).join(', ')})`,
      `${fmtUs(r.peer.p50)} / ${fmtUs(r.peer.p99)} (bare signature, ${r.peer.bytes} B)`,
      `p50 <= ${TARGETS.verifyP50Us} µs: ${verdict(r.verify.p50 <= TARGETS.verifyP50Us)}`,
    ],
    [
      'verifications/s, sequential',
      `${fmtInt(r.verify.perS)} (${fmtUs(r.verify.cpuUs)} µs CPU each)`,
      `${fmtInt(r.peer.perS)}`,
      '',
    ],
    [
      `verifications/s, ${CONCURRENCY} in flight`,
      `${fmtInt(r.concurrent.perS)} (latency p50 ${fmtUs(r.concurrent.p50)} / p99 ${fmtUs(r.concurrent.p99)} µs)`,
      '- (synchronous)',
      '',
    ],
    [
      'verify cold (first use of a certificate), p50 / p99 µs',
      `${fmtUs(r.cold.p50)} / ${fmtUs(r.cold.p99)} (${fmtInt(r.cold.n)} certificates)`,
      `${fmtUs(r.peer300.p50)} / ${fmtUs(r.peer300.p99)} (bare signature, 300 B)`,
      '',
    ],
    [
      'revoked certificate refused on next use',
      `${r.revocation.after === 'revoked' ? 'yes' : 'NO'} (code ${r.revocation.after}; that call ${fmtUs(r.revocation.firstAfterUs)} µs; revoke() ${r.revocation.revokeMs.toFixed(2)} ms)`,
      '-',
      'required: met',
    ],
    [
      `issuances/s, ${ISSUE_IN_FLIGHT} in flight`,
      `${fmtInt(r.issue.perS)} (median of ${ROUNDS} x ${fmtInt(ISSUE_N)}: ${r.issue.rates.map(fmtInt).join(', ')}; ${fmtUs(r.issue.cpuUs)} µs CPU each)`,
      '-',
      `>= ${fmtInt(TARGETS.issuePerS)}: ${verdict(r.issue.perS >= TARGETS.issuePerS)}`,
    ],
    [
      `issuance latency p50 / p99 µs, ${ISSUE_IN_FLIGHT} in flight`,
      `${fmtUs(r.issue.p50)} / ${fmtUs(r.issue.p99)} (to audit entry durable)`,
      '-',
      '',
    ],
    [
      'issuance latency p50 / p99 µs, one at a time',
      `${fmtUs(r.issue.sequential.p50)} / ${fmtUs(r.issue.sequential.p99)}`,
      '-',
      '',
    ],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [
    `zt4ai identity benchmark — ${m.date}`,
    `machine: ${m.cores} cores (nproc), ${m.cpu}, node ${m.node}, ${process.platform}/${process.arch}`,
    `load average at start / end: ${m.load} / ${loadavg()[0].toFixed(2)} (1 min)`,
    `${AGENTS} agents, SQLite store; certificate ${r.certificateBytes} B, proof ${r.proofBytes} B; ` +
      'every verification with a fresh proof made beforehand, outside the timed region',
    '',
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    '',
    'zt4ai verify = authenticator.authenticate(): certificate (cached after first use: iss/aud/nbf/exp',
    'rechecked) + proof of possession (Ed25519 signature, thumbprint = cnf.jkt, htm/htu/ath/iat, jti',
    'single use) + revocation, agent status and profile version. Peer = AgentIdentity.verify(data, sig):',
    'one detached Ed25519 signature check, nothing else. Issuance = identity.issue(): profile lookup,',
    'EdDSA-signed certificate, audit entry durable (batched).',
  ].join('\n');
}

main()
  .then((r) => {
    process.stdout.write(`${table(r)}\n`);
    const summary = {
      bench: 'identity',
      verify_p50_us: Number(r.verify.p50.toFixed(1)),
      verify_p99_us: Number(r.verify.p99.toFixed(1)),
      issue_per_s: Math.round(r.issue.perS),
      peer_verify_p50_us: Number(r.peer.p50.toFixed(1)),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  })
  .catch((error) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (error?.cause) log(`cause: ${error.cause.stack ?? error.cause}`);
    process.exitCode = 1;
  });
