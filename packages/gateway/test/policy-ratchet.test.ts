// Rollback protection of signed policy bundles (policy/bundle-ratchet.ts): on both stores, the
// bundle in force is kept, and an older version, the same version with other contents or another
// bundle name is refused unless the operator allows a rollback; two processes loading at once are
// serialized. Then end to end: a control plane over a real signed bundle directory, and `zt4ai up`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import type { ZtError } from '../src/errors.js';
import { ratchetBundle, type SignedBundleIdentity } from '../src/policy/bundle-ratchet.js';
import { compareBundleVersions, isBundleVersion } from '../src/policy/bundle-version.js';
import { signBundle } from '../src/policy/policy-bundle.js';
import { openControlPlane } from '../src/server.js';
import type { Store } from '../src/store/index.js';
import {
  exited,
  freshDataDir,
  jsonLines,
  removeDir,
  runCli,
  startServer,
  STACK_FRAME,
  tempDir,
  within,
} from './support/process.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

const NOW = () => new Date('2026-12-06T00:00:00.000Z');
const strict = { allowRollback: false, now: NOW };
const overriding = { allowRollback: true, now: NOW };

const bundle = (version: string, contents = 'a', name = 'acme'): SignedBundleIdentity => ({
  name,
  version,
  manifestDigest: `sha256:${contents.repeat(64).slice(0, 64)}`,
  signedBy: 'kid-1',
});

/** What a refusal with `code` looks like, its message containing `text`. */
const refused = (code: string, text = ''): object =>
  expect.objectContaining({ code, message: expect.stringContaining(text) }) as object;

async function inForce(store: Store): Promise<{ name: string; version: string } | undefined> {
  return store.db
    .selectFrom('policy_bundle')
    .select(['name', 'version'])
    .where('id', '=', 1)
    .executeTakeFirst();
}

afterAll(cleanupStores);

describe('bundle versions', () => {
  it('are semantic versions or their short numeric forms, without build metadata', () => {
    for (const good of ['3', '2026.1', '2026.11.26', '1.4.0-rc.1', '0'])
      expect(isBundleVersion(good)).toBe(true);
    for (const bad of [
      '',
      'latest',
      '1.2.3+build.5',
      'v1.2.3',
      '01.2',
      '1.2.3.4',
      '1..2',
      ' 1.2.3',
    ])
      expect(isBundleVersion(bad), bad).toBe(false);
  });

  it('a bundle cannot be signed with anything else (bundle-invalid, the rule in the message)', async () => {
    const dir = tempDir('zt4ai-version-');
    try {
      writeFileSync(join(dir, 'acme.cedar'), policy('acme/rule'));
      await expect(
        signBundle(dir, { name: 'acme', version: 'v1.2.3', privateJwk: signingPair().privateJwk }),
      ).rejects.toEqual(refused('bundle-invalid', 'version must be a semantic version'));
    } finally {
      removeDir(dir);
    }
  });

  it('order numerically, a pre-release before its release, short forms as padded', () => {
    expect(compareBundleVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareBundleVersions('2026.1', '2026.11.26')).toBeLessThan(0);
    expect(compareBundleVersions('3', '3.0.0')).toBe(0);
    expect(compareBundleVersions('1.4.0-rc.1', '1.4.0')).toBeLessThan(0);
  });
});

describe.each(DRIVERS)('the bundle in force ($name)', (driver) => {
  it.skipIf(driver.unavailable !== undefined)(
    'the first bundle is kept; the same one again changes nothing; a newer one replaces it',
    async () => {
      const { store } = await driver.fresh();
      try {
        expect(await ratchetBundle(store, bundle('1.2.0'), strict)).toEqual({
          change: 'first',
          previous: undefined,
        });
        expect(await ratchetBundle(store, bundle('1.2.0'), strict)).toEqual({
          change: 'same',
          previous: { name: 'acme', version: '1.2.0' },
        });
        expect((await ratchetBundle(store, bundle('1.10.0', 'b'), strict)).change).toBe('newer');
        expect(await inForce(store)).toEqual({ name: 'acme', version: '1.10.0' });
      } finally {
        await store.close();
      }
    },
  );

  it.skipIf(driver.unavailable !== undefined)(
    'refuses an older version, a re-used version with other contents and another name, leaving the bundle in force',
    async () => {
      const { store } = await driver.fresh();
      try {
        await ratchetBundle(store, bundle('2.0.0'), strict);
        await expect(ratchetBundle(store, bundle('1.9.9', 'b'), strict)).rejects.toEqual(
          refused('bundle-rollback', '1.9.9 is older than 2.0.0'),
        );
        await expect(ratchetBundle(store, bundle('2.0.0', 'b'), strict)).rejects.toEqual(
          refused('bundle-version-reused', '--allow-policy-rollback'),
        );
        await expect(ratchetBundle(store, bundle('3.0.0', 'b', 'other'), strict)).rejects.toEqual(
          refused('bundle-renamed', 'is "acme" 2.0.0, not "other"'),
        );
        expect(await inForce(store)).toEqual({ name: 'acme', version: '2.0.0' });
      } finally {
        await store.close();
      }
    },
  );

  it.skipIf(driver.unavailable !== undefined)(
    'with the rollback allowed, the older bundle loads and becomes the bundle in force',
    async () => {
      const { store } = await driver.fresh();
      try {
        await ratchetBundle(store, bundle('2.0.0'), strict);
        expect(await ratchetBundle(store, bundle('1.0.0', 'b'), overriding)).toEqual({
          change: 'rollback',
          previous: { name: 'acme', version: '2.0.0' },
        });
        expect(await inForce(store)).toEqual({ name: 'acme', version: '1.0.0' });
        // From there the ratchet holds again, without the override.
        expect((await ratchetBundle(store, bundle('1.0.0', 'b'), strict)).change).toBe('same');
        await expect(ratchetBundle(store, bundle('0.9.0', 'c'), strict)).rejects.toEqual(
          refused('bundle-rollback'),
        );
      } finally {
        await store.close();
      }
    },
  );
});

// Two gateway processes sharing PostgreSQL, as two handles of this process: the advisory lock
// serializes them. (Two SQLite handles in one thread cannot: the second's BEGIN IMMEDIATE would
// wait on a lock only the same thread can release. Across processes SQLite's write lock does it.)
describe.each(DRIVERS.filter((d) => d.name === 'postgres'))(
  'the bundle in force ($name)',
  (driver) => {
    it.skipIf(driver.unavailable !== undefined)(
      'two processes loading different versions at once: the newer one ends in force, the older is refused or replaced',
      async () => {
        const { store, reopen } = await driver.fresh();
        const second = await reopen();
        try {
          for (let round = 0; round < 5; round++) {
            const older = `${round + 1}.0.0`;
            const newer = `${round + 1}.1.0`;
            const results = await Promise.allSettled([
              ratchetBundle(store, bundle(older, `o${round}`), strict),
              ratchetBundle(second, bundle(newer, `n${round}`), strict),
            ]);
            expect(results[1].status).toBe('fulfilled');
            if (results[0].status === 'rejected')
              expect((results[0].reason as ZtError).code).toBe('bundle-rollback');
            expect(await inForce(store)).toEqual({ name: 'acme', version: newer });
          }
        } finally {
          await second.close();
          await store.close();
        }
      },
    );
  },
);

/** A fresh Ed25519 signing key pair as JWKs. */
function signingPair(): { privateJwk: JWK; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
    publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
  };
}

const policy = (id: string): string =>
  `@id("${id}")\n@reason("${id}")\nforbid (principal, action, resource) when { context.sql.present && context.sql.kinds.contains("insert") };\n`;

describe('a control plane over a signed bundle directory', () => {
  let work: string;
  let data: string;
  const keys = signingPair();

  /** Writes the bundle directory afresh with one policy and signs it. */
  async function publish(version: string, policyId: string): Promise<void> {
    rmSync(join(work, 'bundle'), { recursive: true, force: true });
    mkdirSync(join(work, 'bundle'));
    writeFileSync(join(work, 'bundle', 'acme.cedar'), policy(policyId));
    await signBundle(join(work, 'bundle'), { name: 'acme', version, privateJwk: keys.privateJwk });
  }

  async function open(allowPolicyRollback = false) {
    const config = loadConfig({ cwd: work, env: {}, flags: { dataDir: data } });
    return openControlPlane(config, { allowPolicyRollback });
  }

  async function policyLoadedEvents(): Promise<Array<Record<string, unknown>>> {
    const plane = await open();
    try {
      const entries = await plane.audit.entries(0, 1000);
      return entries
        .map((e) => JSON.parse(e.entry) as Record<string, unknown>)
        .filter((e) => e['type'] === 'policy.loaded');
    } finally {
      await plane.close();
    }
  }

  beforeAll(() => {
    work = tempDir('zt4ai-ratchet-');
    data = freshDataDir();
    writeFileSync(join(work, 'signer.pub.jwk'), JSON.stringify(keys.publicJwk));
    writeFileSync(
      join(work, 'zt4ai.yaml'),
      'policy:\n  bundle: ./bundle\n  trustedKeys: [./signer.pub.jwk]\n',
    );
  });

  afterAll(() => {
    removeDir(work);
    removeDir(data);
  });

  it('loads 2.0.0, refuses a validly signed 1.0.0 after it, and loads it with the rollback allowed, audited', async () => {
    await publish('2.0.0', 'acme/v2-rule');
    const first = await open();
    try {
      const { policies, bundleChange } = await first.guard();
      expect(bundleChange?.change).toBe('first');
      expect(policies.set.policies.map((p) => p.id)).toContain('acme/v2-rule');
    } finally {
      await first.close();
    }

    await publish('1.0.0', 'acme/v1-rule');
    const older = await open();
    try {
      await expect(older.guard()).rejects.toEqual(refused('bundle-rollback'));
    } finally {
      await older.close();
    }

    const allowed = await open(true);
    try {
      const { policies, bundleChange } = await allowed.guard();
      expect(bundleChange).toEqual({
        change: 'rollback',
        previous: { name: 'acme', version: '2.0.0' },
      });
      expect(policies.set.policies.map((p) => p.id)).toContain('acme/v1-rule');
    } finally {
      await allowed.close();
    }

    // The refused start recorded no load; the others did, the rollback as one.
    const loaded = await policyLoadedEvents();
    expect(loaded.map((e) => [e['version'], e['change'], e['previous']])).toEqual([
      ['2.0.0', 'first', ''],
      ['1.0.0', 'rollback', 'acme 2.0.0'],
    ]);
  });

  it('`zt4ai up` refuses an older bundle with a stable code and no stack trace', async () => {
    await publish('0.5.0', 'acme/v05-rule');
    const result = await runCli(['--json', 'up', '--port', '0', '--data-dir', data], { cwd: work });
    expect(result.code).toBe(1);
    const [first] = jsonLines(result.stderr) as Array<{
      error?: { code?: string; message?: string };
    }>;
    expect(first?.error?.code).toBe('bundle-rollback');
    expect(first?.error?.message).toContain('0.5.0 is older than 1.0.0');
    expect(result.stderr).not.toContain(STACK_FRAME);
    expect(result.stdout).not.toContain('Server listening');
  });

  it('`zt4ai up --allow-policy-rollback` starts with it, warns, and stops on SIGTERM', async () => {
    const server = await startServer(data, { cwd: work }, ['--allow-policy-rollback']);
    server.child.kill('SIGTERM');
    expect((await within(exited(server.child), 15_000, 'zt4ai up after SIGTERM')).code).toBe(0);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining('POLICY ROLLBACK') as string,
        version: '0.5.0',
        previous: { name: 'acme', version: '1.0.0' },
      }),
    );
  });
});
