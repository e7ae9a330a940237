// Following the audit log across processes (audit/log-follower.ts): two audit logs on two handles of
// one store stand for two gateways. The follower of one delivers every entry of both, in index
// order, once, each marked local or not: its own as they are recorded (their appends waiting for
// that), the other's when a gap shows or its interval passes.
// Then the governance center: a gateway's /api/activity lists what another gateway recorded.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHttpServer } from '../src/api/index.js';
import { type FollowedEvent, LogFollower } from '../src/audit/index.js';
import { loadConfig } from '../src/config/index.js';
import { openControlPlane } from '../src/server.js';
import { newSigner, openTestLog } from './support/audit.js';
import { accessOf, operatorSession } from './support/operators.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

const driver0 = () => DRIVERS[0] as (typeof DRIVERS)[number];

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`log follower: ${driver.name}`, () => {
    it('delivers both gateways’ entries in index order, each once', async () => {
      const { store, reopen } = await driver.fresh();
      const otherStore = await reopen();
      const signer = newSigner();
      const masterKey = randomBytes(32);
      const here = await openTestLog(store, { signer, masterKey, batchMaxDelayMs: 0 });
      const there = await openTestLog(otherStore, { signer, masterKey, batchMaxDelayMs: 0 });
      const seen: FollowedEvent[] = [];
      const errors: unknown[] = [];
      const follower = new LogFollower(here, {
        from: 0,
        intervalMs: 50,
        onEvents: (events) => seen.push(...events),
        onError: (error) => errors.push(error),
      });
      follower.start();
      const seenTypes = () =>
        seen.map((r) => `${r.index}:${r.event.type}${r.local ? '' : ' (other gateway)'}`);
      try {
        await here.append({ type: 'here-0' });
        await there.append({ type: 'there-1' }); // nothing here tells the follower: its interval does
        await expect.poll(seenTypes).toEqual(['0:here-0', '1:there-1 (other gateway)']);
        await there.append({ type: 'there-2' });
        // A gap before it: read back from the store, and its append waits until it is delivered.
        await here.append({ type: 'here-3' });
        expect(seenTypes().at(-1)).toBe('3:here-3');
        await here.append({ type: 'here-4' });
        expect(seenTypes()).toEqual([
          '0:here-0',
          '1:there-1 (other gateway)',
          '2:there-2 (other gateway)',
          '3:here-3',
          '4:here-4',
        ]);
        // Nothing more comes, and nothing twice.
        await new Promise((resolve) => setTimeout(resolve, 120));
        expect(seen).toHaveLength(5);
        expect(errors).toEqual([]);
      } finally {
        await follower.stop();
        await there.close();
        await here.close();
        await otherStore.close();
        await store.close();
      }
    });
  });
}

describe.skipIf(DRIVERS[0]?.unavailable !== undefined)('log follower: reads that fail', () => {
  it('lets a waiting append go on, and delivers its event with a later read', async () => {
    const { store, reopen } = await driver0().fresh();
    const otherStore = await reopen();
    // This gateway's reads can be made to fail; its appends write through the store's own path.
    let failReads = false;
    const failing: KyselyPlugin = {
      transformQuery: (args) => {
        if (failReads && args.node.kind === 'SelectQueryNode') throw new Error('read refused');
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const signer = newSigner();
    const masterKey = randomBytes(32);
    const here = await openTestLog(
      { ...store, db: store.db.withPlugin(failing) },
      { signer, masterKey, batchMaxDelayMs: 0 },
    );
    const there = await openTestLog(otherStore, { signer, masterKey, batchMaxDelayMs: 0 });
    const seen: FollowedEvent[] = [];
    const errors: unknown[] = [];
    const follower = new LogFollower(here, {
      from: 0,
      intervalMs: 3_600_000, // only gaps make it read here
      onEvents: (events) => seen.push(...events),
      onError: (error) => errors.push(error),
    });
    follower.start();
    await new Promise((resolve) => setTimeout(resolve, 20)); // its first read (of nothing) is done
    try {
      await there.append({ type: 'there-0' });
      failReads = true;
      // A gap (there-0) comes before it and the read fails: the append still resolves.
      expect(await here.append({ type: 'here-1' })).toBe(1);
      expect(errors.length).toBeGreaterThan(0);
      expect(seen).toEqual([]);
      failReads = false;
      // The next gap read delivers what the failed one could not, here-1 still marked local.
      await here.append({ type: 'here-2' });
      expect(seen.map((r) => `${r.index}:${r.event.type}:${r.local}`)).toEqual([
        '0:there-0:false',
        '1:here-1:true',
        '2:here-2:true',
      ]);
    } finally {
      failReads = false;
      await follower.stop();
      await there.close();
      await here.close();
      await otherStore.close();
      await store.close();
    }
  });
});

describe('the governance center', () => {
  it('lists in /api/activity an event another gateway on the same store recorded', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-follow-'));
    const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir } });
    const here = await openControlPlane(config);
    const there = await openControlPlane(config);
    const app = buildHttpServer({
      store: here.store,
      audit: here.audit,
      identity: here.identity,
      grants: here.grants,
      publicUrl: 'http://127.0.0.1',
      bodyLimitBytes: config.server.bodyLimitBytes,
      logger: pino({ level: 'silent' }),
      access: accessOf(here),
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const session = await operatorSession(url, here, 'vera', ['viewer']);
      await there.audit.append({
        type: 'guard.decision',
        agent: 'agt_elsewhere',
        action: 'tools/call',
        tool: 'db/query',
        decision: 'deny',
        reasons: ['recorded by another gateway'],
      });
      const activity = async () => {
        const response = await fetch(`${url}/api/activity?limit=10`, {
          headers: { cookie: session.cookie },
        });
        const body = (await response.json()) as { activity: Array<{ agent?: string }> };
        return body.activity.map((item) => item.agent);
      };
      await expect.poll(activity, { timeout: 5_000 }).toContain('agt_elsewhere');
    } finally {
      await app.close();
      await there.close();
      await here.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
