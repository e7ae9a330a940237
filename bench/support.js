// Helpers every benchmark shares: settings from the environment, percentiles, CPU time and a
// description of the machine (benchmarks report medians and ratios measured in the same run).
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { exportJWK, generateKeyPair } from 'jose';

/** A positive integer from environment variable `name`, or `fallback`. */
export function positiveIntEnv(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/** The p-th percentile (nearest rank) of ascending `sorted`. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** n, p50, p99, max and mean of `values`, each multiplied by `scale` (e.g. 1000 for ms → µs). */
export function summarize(values, scale = 1) {
  const sorted = Float64Array.from(values, (v) => v * scale).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
    mean: sum / sorted.length,
  };
}

export function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** This process's CPU time (user + system) since `start`, in seconds. */
export function cpuSeconds(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

/** USER_HZ: /proc reports CPU time in ticks of 1/100 s on every Linux platform Node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) another process has used so far, in seconds (Linux /proc). */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may itself contain ") ": the fields after it start at the last one.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Cores, CPU model, Node version, date and 1-minute load average. */
export function machine() {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: keep "unknown"
  }
  return {
    cores: availableParallelism(),
    cpu,
    node: process.version,
    date: new Date().toISOString(),
    load: loadavg()[0].toFixed(2),
  };
}

/** Runs every cleanup, reporting (not throwing) failures, so one failure never hides the others. */
export async function runCleanups(cleanups, log) {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
export const verdict = (ok) => (ok ? 'met' : 'MISSED');

/**
 * Registers a benchmark agent with its own Ed25519 key under `mission` (created when a spec is
 * given), approves its profile and gives it an approved task grant for `allow` (an hour, no use
 * limit), through the public services. Returns the agent and its private key (JWK).
 */
export async function registerBenchAgent(plane, { name, mission, model, prompt, allow }) {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const missionId =
    typeof mission === 'string'
      ? mission
      : (await plane.identity.createMission(mission, 'op:bench')).id;
  const { agent } = await plane.identity.registerAgent(
    {
      name,
      owner: 'bench',
      team: 'bench',
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x },
      model,
      prompt,
      mission: missionId,
    },
    'op:bench',
  );
  await plane.identity.approveProfile(agent.id, undefined, 'op:bench');
  await plane.grants.operators.set('bench-approver', ['approver']);
  const grant = await plane.grants.request(
    { agent: agent.id, task: 'bench', allow, ttlSeconds: 3600 },
    'op:bench',
  );
  if (grant.status !== 'active')
    await plane.grants.approve(grant.id, 'bench-approver', 'benchmark');
  return { agent, mission: missionId, privateJwk: await exportJWK(privateKey) };
}
