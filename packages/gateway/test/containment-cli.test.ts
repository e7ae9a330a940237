// `zt4ai incident …` and `zt4ai kill-switch …` end to end through the built CLI, against a store in
// which containment (through the real guard) has opened an incident.
import { fromBase64, leafHash, verifyCheckpoint, verifyInclusion } from '@zt4ai/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  APPROVER,
  type ContainmentWorld,
  containmentWorld,
  HONEYTOKEN,
} from './support/containment.js';
import { runCli, STACK_FRAME } from './support/process.js';
import { cleanupStores } from './support/stores.js';

let world: ContainmentWorld;
let agent: string;

const cli = (args: readonly string[], operator = APPROVER) =>
  runCli(['--data-dir', world.dataDir, '--json', '--operator', operator, ...args], {
    cwd: world.dir,
  });
const errorOf = (stderr: string): string =>
  (JSON.parse(stderr.trim()) as { error: { code: string } }).error.code;

beforeAll(async () => {
  world = await containmentWorld();
  const victim = await world.addAgent('finance');
  agent = victim.id;
  expect((await world.call(victim, HONEYTOKEN)).decision).toBe('deny');
  await world.close();
});
afterAll(cleanupStores);

describe('zt4ai incident', () => {
  it('lists, shows and proves the incident; only an approver releases it, with a reason', async () => {
    const listed = await cli(['incident', 'list', '--open']);
    expect(listed.code).toBe(0);
    const [incident] = JSON.parse(listed.stdout) as Array<{ id: string; agent: string }>;
    expect(incident).toMatchObject({ agent, rule: 'honeytoken', status: 'open' });
    const id = incident!.id;

    const shown = JSON.parse((await cli(['incident', 'show', id])).stdout) as {
      timeline: Array<{ kind: string }>;
    };
    expect(shown.timeline.map((e) => e.kind)).toContain('triggered');

    const evidence = JSON.parse((await cli(['incident', 'evidence', id])).stdout) as {
      checkpoint: string;
      vkey: string;
      entries: Array<{ index: number; entry: string; proof: { hashes: string[] } }>;
    };
    const checkpoint = verifyCheckpoint(evidence.checkpoint, evidence.vkey);
    for (const e of evidence.entries)
      verifyInclusion(
        e.index,
        checkpoint.size,
        leafHash(Buffer.from(e.entry, 'utf8')),
        e.proof.hashes.map(fromBase64),
        checkpoint.rootHash,
      );

    const stranger = await cli(['incident', 'release', id, '--reason', 'let it go'], 'mallory');
    expect(stranger.code).not.toBe(0);
    expect(errorOf(stranger.stderr)).toBe('not-an-approver');
    expect(stranger.stderr).not.toContain(STACK_FRAME);
    const noReason = await cli(['incident', 'release', id]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).not.toContain(STACK_FRAME);

    const released = await cli(['incident', 'release', id, '--reason', 'decoy touched by a test']);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)).toMatchObject({ id, status: 'released' });
    const again = await cli(['incident', 'release', id, '--reason', 'again']);
    expect(errorOf(again.stderr)).toBe('incident-not-open');
    const missing = await cli(['incident', 'show', 'inc_missing']);
    expect(errorOf(missing.stderr)).toBe('not-found');
  });
});

describe('zt4ai kill-switch', () => {
  it('engages and releases for admins only, with exactly one scope', async () => {
    const both = await cli(
      ['kill-switch', 'engage', '--all', '--team', 'x', '--reason', 'r'],
      ADMIN,
    );
    expect(errorOf(both.stderr)).toBe('invalid-argument');
    const none = await cli(['kill-switch', 'engage', '--reason', 'r'], ADMIN);
    expect(errorOf(none.stderr)).toBe('invalid-argument');
    const approver = await cli(['kill-switch', 'engage', '--team', 'finance', '--reason', 'r']);
    expect(errorOf(approver.stderr)).toBe('forbidden');
    expect(approver.stderr).not.toContain(STACK_FRAME);

    const engaged = await cli(
      ['kill-switch', 'engage', '--team', 'finance', '--reason', 'suspected compromise'],
      ADMIN,
    );
    expect(engaged.code).toBe(0);
    const { id } = JSON.parse(engaged.stdout) as { id: string };
    const listed = JSON.parse((await cli(['kill-switch', 'list'])).stdout) as unknown[];
    expect(listed).toMatchObject([{ id, scope: 'team', subject: 'finance' }]);

    const released = await cli(['kill-switch', 'release', id, '--reason', 'all clear'], ADMIN);
    expect(JSON.parse(released.stdout)).toMatchObject({ id, released: { by: ADMIN } });
    expect(JSON.parse((await cli(['kill-switch', 'list'])).stdout)).toEqual([]);
    const again = await cli(['kill-switch', 'release', id, '--reason', 'again'], ADMIN);
    expect(errorOf(again.stderr)).toBe('kill-switch-not-engaged');
  });
});
