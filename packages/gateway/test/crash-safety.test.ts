// Crash safety of `zt4ai audit append` (DESIGN §5: never report an index before it is durable):
// SIGKILL in the middle of a 10,000-entry burst, restart, and every acknowledged entry is there.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { openControlPlane } from '../src/server.js';
import {
  event,
  exited,
  FROZEN_TIME,
  freshDataDir,
  onLines,
  removeDir,
  runCli,
  spawnCli,
  STACK_FRAME,
  within,
} from './support/process.js';

const TOTAL = 10_000;
/** Kill once this many appends were acknowledged. */
const KILL_AFTER_ACKS = 2_000;
const CHUNK_LINES = 250;
/**
 * The CLI prints an index only once 4096 appends are in flight (or at end of input); keep at most
 * that many plus a little unacknowledged, so the kill lands while most lines are still unsent.
 */
const MAX_UNACKNOWLEDGED = 4096 + 2 * CHUNK_LINES;

let dataDir: string | undefined;

afterEach(() => {
  if (dataDir !== undefined) removeDir(dataDir);
  dataDir = undefined;
});

/** All stored entries, read through the library with a frozen clock. */
async function storedEntries(dir: string): Promise<string[]> {
  const config = loadConfig({ flags: { dataDir: dir }, env: {}, cwd: dir });
  const plane = await openControlPlane(config, { now: () => new Date(FROZEN_TIME) });
  try {
    const entries: string[] = [];
    for (let page = await plane.audit.entries(0, 1000); page.length > 0;) {
      entries.push(...page.map((e) => e.entry));
      page = await plane.audit.entries(entries.length, 1000);
    }
    return entries;
  } finally {
    await plane.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('zt4ai audit append: crash safety', () => {
  it('SIGKILL mid-burst loses no acknowledged entry, and verify passes after restart', async () => {
    const dir = freshDataDir();
    dataDir = dir;
    const lines = Array.from({ length: TOTAL }, (_, seq) =>
      event('burst', { seq, agent: `agent-${seq % 7}`, data: 'd'.repeat(seq % 61) }),
    );

    const child = spawnCli(['audit', 'append', '--data-dir', dir]);
    const acks: number[] = [];
    let stderr = '';
    let sent = 0;
    let killed = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined); // EPIPE once the child is gone
    onLines(child.stdout, (line) => {
      acks.push((JSON.parse(line) as { index: number }).index);
      if (!killed && acks.length >= KILL_AFTER_ACKS && sent < TOTAL) {
        killed = child.kill('SIGKILL');
      }
    });
    const ended = exited(child);

    // Feed the burst progressively, never running far ahead of the acknowledgements.
    while (!killed && sent < TOTAL && child.exitCode === null) {
      if (sent - acks.length >= MAX_UNACKNOWLEDGED) {
        await sleep(2);
        continue;
      }
      const chunk = lines.slice(sent, sent + CHUNK_LINES);
      sent += chunk.length;
      child.stdin.write(`${chunk.join('\n')}\n`);
      await sleep(1);
    }
    const { signal } = await within(ended, 30_000, 'append burst');

    // The process really died by SIGKILL in the middle of the burst.
    expect(killed).toBe(true);
    expect(signal).toBe('SIGKILL');
    expect(sent).toBeLessThan(TOTAL);
    expect(acks.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acks.length).toBeLessThan(sent);
    expect(stderr).toBe('');
    // Line i of a fresh log is acknowledged as index i, in order.
    expect(acks).toEqual(Array.from({ length: acks.length }, (_, i) => i));

    // Restart: the store verifies from scratch.
    const verify = await runCli(['audit', 'verify', '--data-dir', dir]);
    expect(verify.stderr).not.toContain(STACK_FRAME);
    expect(verify.code).toBe(0);
    const size = Number(/^ok: (\d+) entries/.exec(verify.stdout)?.[1]);

    // Every acknowledged append is present with exactly the content sent; nothing else is.
    const stored = await storedEntries(dir);
    expect(stored).toHaveLength(size);
    expect(size).toBeGreaterThanOrEqual(acks.length);
    expect(size).toBeLessThanOrEqual(sent);
    expect(stored.map((entry) => JSON.parse(entry) as unknown)).toEqual(
      lines
        .slice(0, size)
        .map((line, index) => ({ ...(JSON.parse(line) as Record<string, unknown>), index })),
    );

    // The log carries on at the next index.
    const next = await runCli(['audit', 'append', '--data-dir', dir], {
      input: `${event('after-restart')}\n`,
    });
    expect(next).toMatchObject({ code: 0, stderr: '', stdout: `{"index":${size}}\n` });
  });
});
