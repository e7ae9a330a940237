// A second (and third) gateway process for grants-concurrency.test.ts: opens its own store on the
// shared PostgreSQL schema from the build output, says "ready", waits for "go" on stdin, then fires
// `count` concurrent attempts to use one grant and prints what happened as one JSON line.
//
//   mode "consume": GrantService.check() find + consume, exactly as the guard calls them;
//   mode "guard":   the full Guard (baseline policies, detectors, its own audit log).
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { AuditLog, loadLogSigner } from '../../dist/audit/index.js';
import { loadShellParser } from '../../dist/detectors/shell.js';
import { randomBytes } from 'node:crypto';
import { GrantService } from '../../dist/grants/index.js';
import { IdentityService } from '../../dist/identity/index.js';
import { loadConfig } from '../../dist/index.js';
import { Guard } from '../../dist/guard/index.js';
import { baselinePolicies, zt4aiSchema } from '../../dist/policy/baseline.js';
import { PolicySet } from '../../dist/policy/policy-set.js';
import { openPostgresStore } from '../../dist/store/index.js';

const input = JSON.parse(process.argv[2] ?? '{}');
const now = () => new Date(input.now);

const store = await openPostgresStore(input.url, { schema: input.schema });
// A real identity service on the shared store: check() refuses grants of agents that are not active.
const identity = new IdentityService({
  store,
  audit: { append: async () => 0 },
  masterKey: randomBytes(32),
  config: loadConfig({ env: {} }).identity,
  now,
});
const grants = new GrantService({
  store,
  identity,
  audit: { append: async () => 0 },
  tools: { known: () => [], privileged: () => [] },
  now,
});
const check = grants.check();

let audit;
let guard;
if (input.mode === 'guard') {
  audit = await AuditLog.open(store, {
    signer: loadLogSigner({ kind: 'file', path: input.signer.path }, input.signer.origin),
    masterKey: Buffer.from(input.masterKey, 'hex'),
    maxEntryBytes: 1024 * 1024,
    batchMaxEntries: 512,
    batchMaxDelayMs: 1,
    checkpointHistoryIntervalMs: 0,
    now,
  });
  const policies = PolicySet.load(baselinePolicies(), zt4aiSchema());
  guard = new Guard({
    policies: () => policies,
    tools: new Map(input.tools.map((t) => [t.name, t])),
    detection: { ...input.detection, shell: await loadShellParser() },
    grants: check,
    audit,
  });
}

async function attempt() {
  if (guard !== undefined) {
    const decision = await guard.decide({
      agent: { id: input.agent },
      action: 'tools/call',
      tool: input.tool,
      args: input.args,
    });
    await decision.recorded;
    return { allowed: decision.decision === 'allow', reason: decision.reasons.join('; ') };
  }
  const match = await check.find(input.agent, 'tools/call', input.tool, input.args);
  const id = match?.id;
  if (id === undefined) return { allowed: false, reason: 'no grant found' };
  const taken = await check.consume(id, input.agent);
  return { allowed: taken, reason: taken ? 'consumed' : 'used up' };
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

const started = performance.now();
const results = await Promise.all(Array.from({ length: input.count }, attempt));
const ms = performance.now() - started;
const reasons = {};
for (const r of results) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
const allowed = results.filter((r) => r.allowed).length;
process.stdout.write(
  `${JSON.stringify({ allowed, denied: results.length - allowed, reasons, ms })}\n`,
);
await audit?.close();
await store.close();
