// Single use of proofs across gateway processes (identity/store-replay-cache.ts), on both stores:
// two identity services on two handles of one store stand for two gateways behind one URL. A proof
// accepted by one is refused by the other (proof-replayed); remembered per process only, it is not.
// Expired jtis are swept; a store that cannot be reached refuses the request.
import { VerifyError } from '@zt4ai/verify';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { ZtError } from '../src/errors.js';
import { type AuditSink, IdentityService } from '../src/identity/index.js';
import { StoreReplayCache } from '../src/identity/store-replay-cache.js';
import type { Store } from '../src/store/index.js';
import { newAgentKey, MODEL, PROMPT, type TestAgentKey } from './support/identity.js';
import { cleanupStores, DRIVERS, POSTGRES_URL, tempDir } from './support/stores.js';

afterAll(cleanupStores);

const ISSUER = 'https://zt.example.com';
const URL = `${ISSUER}/v1/chat/completions`;
const clock = new Date('2026-12-06T12:00:00Z');
const seconds = (): number => Math.floor(clock.getTime() / 1000);
const masterKey = randomBytes(32);

const sink: AuditSink = { append: async () => 0 };

function gateway(store: Store, proofReplay: 'process' | 'store'): IdentityService {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'zt4ai.yaml'), `identity:\n  proofReplay: ${proofReplay}\n`);
  const config = loadConfig({ cwd, env: { ZT4AI_ISSUER: ISSUER } }).identity;
  return new IdentityService({ store, audit: sink, masterKey, config, now: () => clock });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => 'accepted',
    (e: unknown) => e,
  );
  if (error instanceof VerifyError || error instanceof ZtError) return error.code;
  return String(error);
}

/** An approved agent with a certificate, registered through `identity`. */
async function certifiedAgent(
  identity: IdentityService,
  name: string,
): Promise<{ key: TestAgentKey; token: string }> {
  const key = await newAgentKey();
  const mission = await identity.createMission(
    { name: `m-${name}`, purpose: 'replay test', allow: { tools: ['db/query'] } },
    'op',
  );
  const { agent } = await identity.registerAgent(
    {
      name,
      owner: 'op',
      team: 'ops',
      publicJwk: key.publicJwk,
      model: MODEL,
      prompt: PROMPT,
      mission: mission.id,
    },
    'op',
  );
  await identity.approveProfile(agent.id, undefined, 'op');
  return { key, token: (await identity.issue(agent.id, 'op')).token };
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`proof replay: ${driver.name}`, () => {
    /** Two gateways on two handles of one fresh store, and a request with a fresh proof. */
    async function twoGateways(mode: 'process' | 'store', name: string) {
      const { store, reopen } = await driver.fresh();
      const other = await reopen();
      const first = gateway(store, mode);
      const second = gateway(other, mode);
      await first.start();
      await second.start();
      const { key, token } = await certifiedAgent(first, name);
      const request = async () => ({
        certificate: token,
        proof: await key.proof({ method: 'POST', url: URL, bound: token, iat: seconds() }),
        method: 'POST',
        url: URL,
      });
      const close = async () => {
        await other.close();
        await store.close();
      };
      return { first: first.authenticator, second: second.authenticator, request, close };
    }

    it('shared through the store: a proof accepted by one gateway is refused by another', async () => {
      const { first, second, request, close } = await twoGateways('store', 'replayed-bot');
      try {
        const once = await request();
        expect(await codeOf(first.authenticate(once))).toBe('accepted');
        expect(await codeOf(second.authenticate(once))).toBe('proof-replayed');
        expect(await codeOf(first.authenticate(once))).toBe('proof-replayed');
        // A fresh proof still works on either.
        expect(await codeOf(second.authenticate(await request()))).toBe('accepted');
      } finally {
        await close();
      }
    });

    it('remembered per process: the other gateway does not see the first use', async () => {
      const { first, second, request, close } = await twoGateways('process', 'local-bot');
      try {
        const once = await request();
        expect(await codeOf(first.authenticate(once))).toBe('accepted');
        expect(await codeOf(first.authenticate(once))).toBe('proof-replayed');
        expect(await codeOf(second.authenticate(once))).toBe('accepted');
      } finally {
        await close();
      }
    });

    it('expired jtis are swept from the store; a jti is refused until then', async () => {
      const { store } = await driver.fresh();
      try {
        let now = 1_000_000;
        const cache = new StoreReplayCache(store, () => now);
        expect(await cache.use('jti-a', now + 60)).toBe(true);
        expect(await cache.use('jti-b', now + 60)).toBe(true);
        // Another process's cache (its memory empty) still refuses them: the store remembers.
        const elsewhere = new StoreReplayCache(store, () => now);
        expect(await elsewhere.use('jti-a', now + 60)).toBe(false);
        now += 61;
        expect(await cache.use('jti-c', now + 60)).toBe(true);
        await expect
          .poll(async () =>
            (await store.db.selectFrom('identity_proof_jtis').select('jti').execute())
              .map((r) => r.jti)
              .sort(),
          )
          .toEqual(['jti-c']);
      } finally {
        await store.close();
      }
    });

    it('a store that cannot be reached refuses the request (store-unavailable)', async () => {
      const { store } = await driver.fresh();
      const cache = new StoreReplayCache(store, () => 1_000_000);
      await store.close();
      expect(await codeOf(cache.use('jti-x', 1_000_060))).toBe('store-unavailable');
    });
  });
}

describe('the default', () => {
  it('is shared through the store on PostgreSQL, per process on SQLite', () => {
    const cwd = tempDir();
    expect(loadConfig({ cwd, env: {} }).identity.proofReplay).toBe('process');
    expect(
      loadConfig({ cwd, env: { ZT4AI_DATABASE_URL: POSTGRES_URL } }).identity.proofReplay,
    ).toBe('store');
  });
});
