// A control plane opened from a real zt4ai.yaml (SQLite file or a PostgreSQL schema) with
// remediation started, operators, a mission and agents with keys, certificates and a grant on
// db/query — for the containment tests. Calls go through the real guard with credentials.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import type { GuardDecision } from '../../src/guard/index.js';
import type { ObservedBinding } from '../../src/identity/index.js';
import { type ControlPlane, openControlPlane } from '../../src/server.js';
import { ADMIN, APPROVER } from './grants.js';
import { MODEL, newAgentKey, PROMPT, type TestAgentKey } from './identity.js';
import { freshSchema, POSTGRES_URL, tempDir } from './stores.js';

export { ADMIN, APPROVER };
export const ISSUER = 'https://zt4ai.test';
export const HONEYTOKEN = 'vault/export_master_keys';

export interface WorldAgent {
  readonly id: string;
  readonly team: string;
  readonly key: TestAgentKey;
}

export interface ContainmentWorld {
  plane: ControlPlane;
  /** The working directory holding zt4ai.yaml, and the data directory (keys, SQLite file). */
  readonly dir: string;
  readonly dataDir: string;
  readonly mission: string;
  /** Log lines the remediation logger wrote (warnings and errors). */
  readonly logged: Array<{ level: string; msg: string }>;
  addAgent(team?: string): Promise<WorldAgent>;
  /** A fresh certificate for the agent. */
  certificate(agent: WorldAgent): Promise<string>;
  /** One call through the guard with certificate and proof (a fresh certificate by default). */
  call(
    agent: WorldAgent,
    tool: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<GuardDecision>;
  /** Closes the plane and opens it again on the same store (a gateway restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface CallOptions {
  readonly certificate?: string;
  /** What the request carries for the binding check (a changed model is drift). */
  readonly observed?: ObservedBinding;
}

export interface ContainmentWorldOptions {
  readonly driver?: 'sqlite' | 'postgres';
  readonly remediation?: Record<string, unknown>;
  /** Another world's store to share (PostgreSQL): the second gateway of a cluster. */
  readonly shareWith?: ContainmentWorld;
}

const URL_OF_CALLS = `${ISSUER}/mcp`;

export async function containmentWorld(
  options: ContainmentWorldOptions = {},
): Promise<ContainmentWorld> {
  const shared = options.shareWith as
    (ContainmentWorld & { env: Record<string, string> }) | undefined;
  const dir = tempDir('zt4ai-containment-');
  const env: Record<string, string> = shared?.env ?? { ZT4AI_ISSUER: ISSUER };
  if (shared === undefined && options.driver === 'postgres') {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    const search = encodeURIComponent(`-c search_path=${schema}`);
    env.ZT4AI_DATABASE_URL = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${search}`;
  }
  writeFileSync(
    join(dir, 'zt4ai.yaml'),
    JSON.stringify({
      audit: { batchMaxDelayMs: 0 },
      tools: [
        { name: 'db/query', argKinds: { sql: 'sql' }, sink: 'internal', sqlDialect: 'postgresql' },
        { name: HONEYTOKEN, honeytoken: true },
      ],
      ...(options.remediation === undefined ? {} : { remediation: options.remediation }),
    }),
  );
  const dataDir =
    shared === undefined ? join(dir, 'data') : (shared as { dataDir?: string }).dataDir;
  const config = () =>
    loadConfig({ cwd: dir, env, flags: { ...(dataDir === undefined ? {} : { dataDir }) } });
  const logged: Array<{ level: string; msg: string }> = [];
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => void logged.push(JSON.parse(line) as { level: string; msg: string }),
    },
  );
  const open = async (): Promise<ControlPlane> => {
    const plane = await openControlPlane(config());
    plane.remediation.start(logger);
    return plane;
  };
  let plane = await open();
  let mission = shared?.mission ?? '';
  if (shared === undefined) {
    await plane.grants.operators.set(ADMIN, ['admin']);
    await plane.grants.operators.set(APPROVER, ['approver']);
    mission = (
      await plane.identity.createMission(
        {
          name: `containment-${Math.random().toString(36).slice(2, 8)}`,
          purpose: 'containment tests',
          allow: { actions: ['tools/call'], tools: ['*'] },
          maxGrantTtlSeconds: 3600,
        },
        'op:setup',
      )
    ).id;
  }
  const world = {
    env,
    dir,
    dataDir: dataDir ?? join(dir, 'data'),
    get plane() {
      return plane;
    },
    mission,
    logged,
    addAgent: async (team = 'finance') => {
      const key = await newAgentKey();
      const { agent } = await plane.identity.registerAgent(
        {
          name: `agent-${Math.random().toString(36).slice(2, 10)}`,
          owner: 'alice',
          team,
          publicJwk: key.publicJwk,
          model: MODEL,
          prompt: PROMPT,
          mission,
        },
        'op:setup',
      );
      await plane.identity.approveProfile(agent.id, undefined, 'op:setup');
      const grant = await plane.grants.request(
        { agent: agent.id, task: 'containment tests', allow: ['tools/call:db/query'] },
        'op:setup',
      );
      if (grant.status === 'pending') await plane.grants.approve(grant.id, APPROVER, 'tests');
      return { id: agent.id, team, key };
    },
    certificate: async (agent: WorldAgent) =>
      (await plane.identity.issue(agent.id, 'op:test')).token,
    call: async (
      agent: WorldAgent,
      tool: string,
      args: unknown = {},
      options: CallOptions = {},
    ) => {
      const token = options.certificate ?? (await world.certificate(agent));
      const { guard } = await plane.guard();
      const proof = await agent.key.proof({
        method: 'POST',
        url: URL_OF_CALLS,
        bound: token,
        iat: Math.floor(Date.now() / 1000),
      });
      const decision = await guard.decide({
        agent: { id: agent.id, team: agent.team, mission },
        credentials: { certificate: token, proof, method: 'POST', url: URL_OF_CALLS },
        action: 'tools/call',
        tool,
        args,
        ...(options.observed === undefined ? {} : { observed: options.observed }),
      });
      await decision.recorded;
      return decision;
    },
    restart: async () => {
      await plane.close();
      plane = await open();
    },
    close: () => plane.close(),
  };
  return world as ContainmentWorld;
}
