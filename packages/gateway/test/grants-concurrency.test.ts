// The use count of a grant is exact under concurrency (issue: "200 parallel calls against
// maxUses: 50 give exactly 50 allows, on SQLite and on PostgreSQL; on PostgreSQL the calls come
// from two gateway processes sharing one database"). Consuming is one conditional UPDATE; these
// tests race it through the guard, through find + consume, across store handles and processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantService } from '../src/grants/index.js';
import type { Guard } from '../src/guard/index.js';
import type { Store } from '../src/store/index.js';
import { openTestLog } from './support/audit.js';
import { testGuard, TOOLS } from './support/guard.js';
import {
  addAgent,
  APPROVER,
  auditEvents,
  call,
  type GrantWorld,
  grantWorld,
  toolKnowledge,
} from './support/grants.js';
import { type GrantWorker, startGrantWorker, type WorkerInput } from './support/grants-workers.js';
import { cleanupStores, DRIVERS, POSTGRES_URL } from './support/stores.js';

afterAll(cleanupStores);

const NO_GRANT = 'no task grant covers this call';
const USED_UP = 'the task grant has ended or is used up';
const SELECT = { sql: 'SELECT id, total FROM invoices WHERE id = 1' };
const CALLS = 200;
const MAX_USES = 50;
/** The detection settings of support/guard.ts's testGuard, for the worker's guard. */
const DETECTION = {
  egress: {
    allowHosts: ['api.example.com', '*.allowed.example'],
    allowPrivate: ['10.20.0.0/16'],
    allowedSchemes: ['https'],
  },
  pathRoots: ['/srv/data'],
  knownTools: TOOLS.map((t) => t.name),
};

/** A fresh agent with an active grant: db/query, 10 minutes, `MAX_USES` uses. */
async function grantFor(w: GrantWorld): Promise<{ agent: string; grant: string }> {
  const agent = await addAgent(w);
  const grant = await w.grants.request(
    {
      agent,
      task: 'race',
      allow: ['tools/call:db/query'],
      ttlSeconds: 600,
      maxUses: MAX_USES,
    },
    'op:racer',
  );
  expect(grant.status).toBe('active');
  return { agent, grant: grant.id };
}

/** An approved grant without a use limit (those wait for a human). */
async function unlimitedGrant(w: GrantWorld, agent: string, task: string) {
  const requested = await w.grants.request(
    { agent, task, allow: ['tools/call:db/query'], ttlSeconds: 600 },
    'op:racer',
  );
  expect(requested.status).toBe('pending');
  return w.grants.approve(requested.id, APPROVER, 'needed for the test');
}

/** `count` guarded calls at once on each guard; the decisions in order. */
async function race(guards: readonly Guard[], agent: string, count: number) {
  const all = guards.flatMap((guard) =>
    Array.from({ length: count }, () => call(guard, agent, 'db/query', SELECT)),
  );
  return Promise.all(all);
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(
    `grant uses under concurrency: ${driver.name}`,
    () => {
      let w: GrantWorld;

      beforeAll(async () => {
        w = await grantWorld(driver);
      });
      afterAll(async () => {
        await w?.close();
      });

      it(`${CALLS} parallel guarded calls against maxUses ${MAX_USES} give exactly ${MAX_USES} allows`, async () => {
        const { agent, grant } = await grantFor(w);
        const decisions = await race([w.guard], agent, CALLS);
        const allowed = decisions.filter((d) => d.decision === 'allow');
        expect(allowed).toHaveLength(MAX_USES);
        const denied = decisions.filter((d) => d.decision !== 'allow');
        expect(denied.every((d) => d.decision === 'deny')).toBe(true);
        for (const d of denied) expect([[NO_GRANT], [USED_UP]]).toContainEqual(d.reasons);
        expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
        const recorded = (await auditEvents(w.log)).filter(
          (e) => e.type === 'guard.decision' && e.agent === agent,
        );
        expect(recorded).toHaveLength(CALLS);
        expect(recorded.filter((e) => e.decision === 'allow')).toHaveLength(MAX_USES);
      });

      it(`${CALLS} parallel find + consume, as the guard calls them, take exactly ${MAX_USES} uses`, async () => {
        const { agent, grant } = await grantFor(w);
        const check = w.grants.check();
        const taken = await Promise.all(
          Array.from({ length: CALLS }, async () => {
            const match = await check.find(agent, 'tools/call', 'db/query', SELECT);
            return match !== undefined && (await check.consume(match.id, agent));
          }),
        );
        expect(taken.filter(Boolean)).toHaveLength(MAX_USES);
        expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
        // Consuming bypassing find (a stale find) still stops at the limit.
        const stale = await Promise.all(
          Array.from({ length: 20 }, () => check.consume(grant, agent)),
        );
        expect(stale.filter(Boolean)).toHaveLength(0);
        expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
      });

      it('two guards on two store handles: 100 + 100 calls give exactly 50 allows', async () => {
        const { agent, grant } = await grantFor(w);
        const second: Store = await w.reopen();
        const log = await openTestLog(second, {
          signer: w.signer,
          masterKey: w.masterKey,
          now: w.clock.now,
        });
        try {
          const grants = new GrantService({
            store: second,
            identity: w.identity, // not used by check()
            audit: log,
            tools: toolKnowledge(),
            now: w.clock.now,
          });
          const other = await testGuard(log, { grants: grants.check() });
          const decisions = await race([w.guard, other], agent, CALLS / 2);
          expect(decisions.filter((d) => d.decision === 'allow')).toHaveLength(MAX_USES);
          expect((await grants.grants.get(grant)).uses).toBe(MAX_USES);
          expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
        } finally {
          await log.close();
          await second.close();
        }
      });

      it('a grant revoked through another store handle stops the very next call (the cache reloads)', async () => {
        const agent = await addAgent(w);
        const grant = await unlimitedGrant(w, agent, 'cached');
        expect(grant.maxUses).toBeNull();
        expect((await call(w.guard, agent, 'db/query', SELECT)).decision).toBe('allow');
        const second: Store = await w.reopen();
        const log = await openTestLog(second, {
          signer: w.signer,
          masterKey: w.masterKey,
          now: w.clock.now,
        });
        try {
          const other = new GrantService({
            store: second,
            identity: w.identity,
            audit: log,
            tools: toolKnowledge(),
            now: w.clock.now,
          });
          await other.revoke(grant.id, 'op:other', 'withdrawn elsewhere');
          // PostgreSQL's notification travels asynchronously; SQLite's data_version moves at once.
          await expect
            .poll(async () => (await call(w.guard, agent, 'db/query', SELECT)).reasons, {
              timeout: 2000,
              interval: 20,
            })
            .toEqual([NO_GRANT]);
        } finally {
          await log.close();
          await second.close();
        }
      });

      it('uses of a grant without a limit are counted, and reach the store on flush', async () => {
        const agent = await addAgent(w);
        const grant = await unlimitedGrant(w, agent, 'counted');
        const decisions = await race([w.guard], agent, 30);
        expect(decisions.every((d) => d.decision === 'allow')).toBe(true);
        await w.grants.flush();
        expect((await w.grants.grants.get(grant.id)).uses).toBe(30);
      });
    },
  );
}

const postgres = DRIVERS.find((d) => d.name === 'postgres')!;

describe.skipIf(postgres.unavailable !== undefined)(
  'grant uses across two gateway processes: postgres',
  () => {
    let w: GrantWorld;
    let workers: GrantWorker[] = [];

    beforeAll(async () => {
      w = await grantWorld(postgres);
    });
    afterAll(async () => {
      for (const worker of workers) worker.kill();
      await w?.close();
    });

    /** Starts two workers on the shared schema, releases them together, returns their results. */
    async function twoProcesses(mode: WorkerInput['mode'], agent: string) {
      if (w.location.kind !== 'postgres') throw new Error('expected a PostgreSQL world');
      const input: WorkerInput = {
        url: POSTGRES_URL,
        schema: w.location.schema,
        mode,
        agent,
        tool: 'db/query',
        args: SELECT,
        count: CALLS / 2,
        now: w.clock.now().toISOString(),
        signer: w.signerKey,
        masterKey: w.masterKey.toString('hex'),
        tools: TOOLS,
        detection: DETECTION,
      };
      workers = [startGrantWorker(input), startGrantWorker(input)];
      await Promise.all(workers.map((worker) => worker.ready));
      for (const worker of workers) worker.go();
      return Promise.all(workers.map((worker) => worker.result));
    }

    it('find + consume from two processes: 100 + 100 attempts take exactly 50 uses', async () => {
      const { agent, grant } = await grantFor(w);
      const results = await twoProcesses('consume', agent);
      expect(results.reduce((sum, r) => sum + r.allowed, 0)).toBe(MAX_USES);
      for (const r of results) expect(r.allowed + r.denied).toBe(CALLS / 2);
      // The race was real: attempts found the grant in force and then lost the conditional UPDATE.
      expect(results.reduce((sum, r) => sum + (r.reasons['used up'] ?? 0), 0)).toBeGreaterThan(0);
      expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
    });

    it('the full guard in two processes: 100 + 100 calls give exactly 50 allows', async () => {
      const { agent, grant } = await grantFor(w);
      const results = await twoProcesses('guard', agent);
      expect(results.reduce((sum, r) => sum + r.allowed, 0)).toBe(MAX_USES);
      for (const r of results) {
        for (const reason of Object.keys(r.reasons))
          expect(['allowed by a task grant', NO_GRANT, USED_UP]).toContain(reason);
      }
      expect((await w.grants.grants.get(grant)).uses).toBe(MAX_USES);
      // Both processes recorded every decision in the one shared audit log.
      const recorded = (await auditEvents(w.log)).filter(
        (e) => e.type === 'guard.decision' && e.agent === agent,
      );
      expect(recorded).toHaveLength(CALLS);
      expect(recorded.filter((e) => e.decision === 'allow')).toHaveLength(MAX_USES);
      expect((await w.log.verify()).ok).toBe(true);
    });
  },
);
