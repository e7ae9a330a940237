// A control plane for task-grant tests, wired the way openControlPlane wires it (identity, grants
// and the guard over one store and one audit log), with a mutable frozen clock, a mission, an
// active agent and operators with roles.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type AuditLog, loadLogSigner, type LogSigner } from '../../src/audit/index.js';
import { loadConfig } from '../../src/config/index.js';
import { ZtError } from '../../src/errors.js';
import { GrantService } from '../../src/grants/index.js';
import type { Guard, GuardDecision, GuardRequest } from '../../src/guard/index.js';
import { type AuditSink, IdentityService, type Mission } from '../../src/identity/index.js';
import type { Store } from '../../src/store/index.js';
import { openTestLog } from './audit.js';
import { testGuard, TOOLS } from './guard.js';
import { MODEL, newAgentKey, PROMPT } from './identity.js';
import type { Driver, Location } from './stores.js';
import { tempDir } from './stores.js';

export const T0 = new Date('2026-11-26T12:00:00.000Z');

/** A frozen clock the test moves by hand; every component of a world reads it. */
export class FrozenClock {
  #at: number;
  constructor(start: Date = T0) {
    this.#at = start.getTime();
  }
  readonly now = (): Date => new Date(this.#at);
  set(at: Date | number): void {
    this.#at = typeof at === 'number' ? at : at.getTime();
  }
  advance(ms: number): void {
    this.#at += ms;
  }
}

/** Tools the mission allows: `mail/send` is configured but outside it. */
export const MISSION_TOOLS = ['db/query', 'web/fetch', 'fs/*', 'shell/exec', 'payments/transfer'];
export const MISSION_MAX_TTL = 7200;

/** Operators: an approver, an admin, and two without the approver role. */
export const APPROVER = 'alice';
export const ADMIN = 'root';
export const AUDITOR = 'carol';
export const VIEWER = 'dave';

export interface GrantWorld {
  readonly store: Store;
  readonly reopen: () => Promise<Store>;
  readonly location: Location;
  readonly log: AuditLog;
  readonly signer: LogSigner;
  /** The log's signing key file and origin, for other processes opening the same log. */
  readonly signerKey: { readonly path: string; readonly origin: string };
  readonly masterKey: Buffer;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  readonly guard: Guard;
  readonly clock: FrozenClock;
  readonly mission: Mission;
  readonly agentId: string;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Wraps the audit sink the grant service writes to (to observe or break it). */
  readonly grantAudit?: (log: AuditLog) => AuditSink;
}

export async function grantWorld(driver: Driver, options: WorldOptions = {}): Promise<GrantWorld> {
  const clock = new FrozenClock();
  const { store, reopen, location } = await driver.fresh();
  const signerKey = { path: join(tempDir(), 'audit-log.key'), origin: 'test.zt4ai.example/log' };
  const signer = loadLogSigner({ kind: 'file', path: signerKey.path }, signerKey.origin);
  const masterKey = randomBytes(32);
  const log = await openTestLog(store, { signer, masterKey, now: clock.now });
  const config = loadConfig({ cwd: tempDir(), env: { ZT4AI_ISSUER: 'https://zt.example.com' } });
  const identity = new IdentityService({
    store,
    audit: log,
    masterKey,
    config: config.identity,
    now: clock.now,
  });
  await identity.start();
  const mission = await identity.createMission(
    {
      name: 'billing',
      purpose: 'answer billing questions',
      allow: { tools: MISSION_TOOLS },
      maxGrantTtlSeconds: MISSION_MAX_TTL,
    },
    'op:setup',
  );
  const key = await newAgentKey();
  const { agent } = await identity.registerAgent(
    {
      name: 'billing-bot',
      owner: 'alice',
      team: 'finance',
      publicJwk: key.publicJwk,
      model: MODEL,
      prompt: PROMPT,
      mission: mission.id,
    },
    'op:setup',
  );
  await identity.approveProfile(agent.id, undefined, 'op:setup');
  const grants = new GrantService({
    store,
    identity,
    audit: options.grantAudit?.(log) ?? log,
    tools: toolKnowledge(),
    now: clock.now,
  });
  await grants.operators.set(APPROVER, ['approver']);
  await grants.operators.set(ADMIN, ['admin']);
  await grants.operators.set(AUDITOR, ['auditor']);
  await grants.operators.set(VIEWER, ['viewer']);
  const guard = await testGuard(log, { grants: grants.check() });
  return {
    store,
    reopen,
    location,
    log,
    signer,
    signerKey,
    masterKey,
    identity,
    grants,
    guard,
    clock,
    mission,
    agentId: agent.id,
    close: async () => {
      await log.close();
      await store.close();
    },
  };
}

/** What the gateway derives from its configured tools (server.ts). */
export function toolKnowledge(): { known: () => string[]; privileged: () => string[] } {
  return {
    known: () => TOOLS.map((t) => t.name),
    privileged: () => TOOLS.filter((t) => t.privileged === true).map((t) => t.name),
  };
}

/** One guarded call by `agent`, awaited until it is recorded in the audit log. */
export async function call(
  guard: Guard,
  agent: string,
  tool: string,
  args: unknown = {},
  extra: Partial<GuardRequest> = {},
): Promise<GuardDecision> {
  const decision = await guard.decide({
    agent: { id: agent, team: 'finance' },
    action: 'tools/call',
    tool,
    args,
    ...extra,
  });
  await decision.recorded;
  return decision;
}

/** The error code a promise rejects with; fails when it resolves or rejects with something else. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof ZtError) return error.code;
  throw new Error(`expected a ZtError, got ${String(error)}`);
}

/** Number of rows in the grants table. */
export async function grantRows(store: Store): Promise<number> {
  const result = await sql<{
    n: number | string | bigint;
  }>`select count(*) as n from grants`.execute(store.db);
  return Number(result.rows[0]?.n ?? 0);
}

export type AuditEvent = { type: string } & Record<string, unknown>;

/** Every entry of the audit log so far, parsed. */
export async function auditEvents(log: AuditLog): Promise<AuditEvent[]> {
  await log.flush();
  const size = await log.size();
  const events: AuditEvent[] = [];
  for (let from = 0; from < size; from += 1000) {
    for (const { entry } of await log.entries(from, Math.min(1000, size - from)))
      events.push(JSON.parse(entry) as AuditEvent);
  }
  return events;
}

/** The audit entries of one type, optionally about one grant. */
export async function auditOf(log: AuditLog, type: string, grant?: string): Promise<AuditEvent[]> {
  return (await auditEvents(log)).filter(
    (e) => e.type === type && (grant === undefined || e.grant === grant),
  );
}

let agentCount = 0;

/** Registers another agent on the world's mission; approves its profile (active) unless told not. */
export async function addAgent(
  world: Pick<GrantWorld, 'identity' | 'mission'>,
  options: { approve?: boolean } = {},
): Promise<string> {
  agentCount += 1;
  const key = await newAgentKey();
  const { agent } = await world.identity.registerAgent(
    {
      name: `bot-${agentCount}-${Math.random().toString(36).slice(2, 8)}`,
      owner: 'alice',
      team: 'finance',
      publicJwk: key.publicJwk,
      model: MODEL,
      prompt: PROMPT,
      mission: world.mission.id,
    },
    'op:setup',
  );
  if (options.approve !== false)
    await world.identity.approveProfile(agent.id, undefined, 'op:setup');
  return agent.id;
}
