// End-to-end tests of `zt4ai audit …` through the built CLI: every command's output is checked with
// @zt4ai/verify, and every error path for its exit code, stable error code and lack of stack frames.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EMPTY_ROOT,
  fromBase64,
  leafHash,
  toBase64,
  verifyBundle,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@zt4ai/verify';
import { describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { openControlPlane } from '../src/server.js';
import {
  type CliResult,
  DEFAULT_ORIGIN,
  event,
  exited,
  FROZEN_TIME,
  freshDataDir,
  jsonLines,
  lines,
  onLines,
  removeDir,
  runCli,
  type RunOptions,
  signingKey,
  spawnCli,
  STACK_FRAME,
  TEST_KEY,
  tempDir,
} from './support/process.js';

type OnFinished = (fn: OnTestFinishedHandler) => void;

interface InclusionJson {
  treeSize: number;
  leafIndex: number;
  leafHash: string;
  hashes: string[];
}

interface ConsistencyJson {
  from: number;
  to: number;
  hashes: string[];
}

/** A fresh data dir and working dir for one test, removed when the test ends. */
class TestLog {
  readonly dataDir: string;
  /** The working directory the CLI runs in (where a zt4ai.yaml would be found). */
  readonly cwd: string;

  constructor(onFinished: OnFinished, dataDir = freshDataDir()) {
    this.dataDir = dataDir;
    this.cwd = tempDir();
    onFinished(() => {
      removeDir(this.dataDir);
      removeDir(this.cwd);
    });
  }

  /** `zt4ai audit <args> --data-dir <dir>` in this test's working dir. */
  audit(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(['audit', ...args, '--data-dir', this.dataDir], { cwd: this.cwd, ...options });
  }

  /** `zt4ai --json audit <args> --data-dir <dir>`. */
  auditJson(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(['--json', 'audit', ...args, '--data-dir', this.dataDir], {
      cwd: this.cwd,
      ...options,
    });
  }

  /** Appends event lines and checks that each was acknowledged with the next index. */
  async append(events: readonly string[], first = 0): Promise<void> {
    const result = await this.audit(['append'], { input: `${events.join('\n')}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual(events.map((_, i) => ({ index: first + i })));
  }

  async tail(count: number): Promise<string[]> {
    const result = await this.audit(['tail', '-n', String(count)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return lines(result.stdout);
  }

  /** The latest checkpoint, verified under the test key. */
  async checkpoint(): Promise<{ note: string; size: number; root: Uint8Array }> {
    const result = await this.audit(['checkpoint']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const checkpoint = verifyCheckpoint(result.stdout, TEST_KEY.vkey);
    return { note: result.stdout, size: checkpoint.size, root: checkpoint.rootHash };
  }

  async proof(args: readonly string[]): Promise<InclusionJson> {
    const result = await this.audit(['proof', ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as InclusionJson;
  }

  async consistency(args: readonly string[]): Promise<ConsistencyJson> {
    const result = await this.audit(['consistency', ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as ConsistencyJson;
  }

  /** Opens the store through the library (frozen clock), for what the CLI cannot do itself. */
  async withPlane(
    work: (plane: Awaited<ReturnType<typeof openControlPlane>>) => Promise<void>,
  ): Promise<void> {
    const config = loadConfig({ flags: { dataDir: this.dataDir }, env: {}, cwd: this.cwd });
    const plane = await openControlPlane(config, { now: () => new Date(FROZEN_TIME) });
    try {
      await work(plane);
    } finally {
      await plane.close();
    }
  }

  /** Appends event lines through the library (setup for tests that exercise other commands). */
  async seed(events: readonly string[]): Promise<void> {
    await this.withPlane(async (plane) => {
      await Promise.all(events.map((line) => plane.audit.append(JSON.parse(line))));
    });
  }

  /** Every stored entry, read through the library. */
  async stored(): Promise<string[]> {
    const entries: string[] = [];
    await this.withPlane(async (plane) => {
      for (let page = await plane.audit.entries(0, 1000); page.length > 0;) {
        entries.push(...page.map((e) => e.entry));
        page = await plane.audit.entries(entries.length, 1000);
      }
    });
    return entries;
  }
}

/** Numbered test events: `{"type":"test","n":i,"time":…}` for i in [from, from + count). */
function events(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => event('test', { n: from + i }));
}

/** The entry the log must hold for an event line appended at `index`. */
function expectedEntry(line: string, index: number): Record<string, unknown> {
  return { ...(JSON.parse(line) as Record<string, unknown>), index };
}

/** RFC 8785 form of the plain values these tests use: keys sorted, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** A failed command: the exit status, the stable code on stderr, and no stack trace anywhere. */
function expectFailure(result: CliResult, code: string, exitCode = 1): void {
  expect(result.stderr).toMatch(new RegExp(`^zt4ai: error \\[${code}\\]: \\S.*\\n$`));
  expect(result.code).toBe(exitCode);
  expect(result.stderr).not.toContain(STACK_FRAME);
  expect(result.stdout).not.toContain(STACK_FRAME);
}

/** A failed command under --json: stderr is exactly one JSON object naming the code. */
function expectJsonFailure(
  result: CliResult,
  code: string,
  exitCode = 1,
): { code: string; message: string; detail?: Record<string, unknown> } {
  expect(result.code).toBe(exitCode);
  expect(result.stderr).not.toContain(STACK_FRAME);
  const errors = jsonLines(result.stderr) as Array<{
    error: { code: string; message: string; detail?: Record<string, unknown> };
  }>;
  expect(errors).toHaveLength(1);
  const error = (errors[0] as (typeof errors)[number]).error;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/\S/);
  return error;
}

describe.concurrent('zt4ai audit: results', () => {
  it('append acknowledges each line with its index; tail prints each entry canonically', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const sent = [
      event('login', { agent: 'agent-1', decision: 'allow', reasons: ['policy p1'] }),
      event('tool-call', { agent: 'agent-2', refs: { tool: 'fs.read', args: [3, 1, 2] } }),
      '',
      event('note', { text: 'héllo ✓ 日本 "quoted" \\ back' }),
      JSON.stringify({ zeta: 1, type: 'unsorted', alpha: { y: true, x: null }, time: FROZEN_TIME }),
    ];
    const appended = await log.audit(['append'], { input: `${sent.join('\n')}\n` });
    expect(appended).toMatchObject({ code: 0, stderr: '' });
    // The blank line is skipped: four entries, indexes 0..3 in input order.
    const kept = sent.filter((line) => line !== '');
    expect(jsonLines(appended.stdout)).toEqual(kept.map((_, index) => ({ index })));
    const tail = await log.tail(kept.length);
    expect(tail.map((line) => JSON.parse(line) as unknown)).toEqual(
      kept.map((line, i) => expectedEntry(line, i)),
    );
    for (const line of tail) expect(line).toBe(canonical(JSON.parse(line)));
    // A second append continues the numbering.
    await log.append([event('later')], kept.length);
    expect((await log.stored()).at(-1)).toBe(canonical(expectedEntry(event('later'), kept.length)));
  });

  it('each tail line hashes to the leafHash proof prints, and the proof verifies', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.append(events(5));
    const tail = await log.tail(5);
    expect(tail).toHaveLength(5);
    const [proofs, { size, root }] = await Promise.all([
      Promise.all(tail.map((_, i) => log.proof(['--index', String(i)]))),
      log.checkpoint(),
    ]);
    expect(size).toBe(5);
    tail.forEach((line, i) => {
      const leaf = leafHash(utf8(line));
      const proof = proofs[i] as InclusionJson;
      expect(proof).toMatchObject({ treeSize: 5, leafIndex: i, leafHash: toBase64(leaf) });
      verifyInclusion(i, size, leaf, proof.hashes.map(fromBase64), root);
    });
    // The proof is specific to its leaf: another leaf does not verify with it.
    const other = leafHash(utf8(tail[1] as string));
    const proof0 = (proofs[0] as InclusionJson).hashes.map(fromBase64);
    expect(() => verifyInclusion(0, size, other, proof0, root)).toThrow();
  });

  it('proof --index N --size M verifies against the checkpoint taken at size M', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(5));
    const at5 = await log.checkpoint();
    await log.seed(events(2, 5));
    const older = await log.proof(['--index', '3', '--size', '5']);
    expect(older).toMatchObject({ treeSize: 5, leafIndex: 3 });
    const entries = await log.stored();
    expect(entries).toHaveLength(7);
    expect(older.leafHash).toBe(toBase64(leafHash(utf8(entries[3] as string))));
    const hashes = older.hashes.map(fromBase64);
    verifyInclusion(3, 5, fromBase64(older.leafHash), hashes, at5.root);
    let at7: Uint8Array = new Uint8Array();
    await log.withPlane(async (plane) => {
      at7 = verifyCheckpoint(await plane.audit.checkpoint(), TEST_KEY.vkey).rootHash;
    });
    expect(toBase64(at7)).not.toBe(toBase64(at5.root));
    expect(() => verifyInclusion(3, 7, fromBase64(older.leafHash), hashes, at7)).toThrow();
  });

  it('tail without -n prints the last 10 entries; -n 0 prints nothing', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const sent = events(12);
    await log.seed(sent);
    const result = await log.audit(['tail']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(result.stdout)).toEqual(
      sent.slice(2).map((line, i) => expectedEntry(line, i + 2)),
    );
    expect(await log.tail(0)).toEqual([]);
  });

  it('tail -n N prints the last N entries even when N exceeds one page of 1000', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const sent = events(1600);
    await log.seed(sent);
    const tail = await log.tail(1500);
    expect(tail).toHaveLength(1500);
    expect(JSON.parse(tail[0] as string)).toEqual(expectedEntry(sent[100] as string, 100));
    expect(JSON.parse(tail[1499] as string)).toEqual(expectedEntry(sent[1599] as string, 1599));
  });

  it('vkey prints the C2SP verifier key of the signing key in the data dir', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const result = await log.audit(['vkey']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`${TEST_KEY.vkey}\n`);
    expect(result.stdout).toMatch(/^zt4ai\.local\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/);
  });

  it('checkpoint prints a signed checkpoint that verifies and carries the tree size', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const empty = await log.checkpoint();
    expect(empty.size).toBe(0);
    expect(empty.root).toEqual(EMPTY_ROOT);
    await log.seed(events(3));
    const result = await log.audit(['checkpoint']);
    expect(result.code).toBe(0);
    const checkpoint = verifyCheckpoint(result.stdout, TEST_KEY.vkey);
    expect(checkpoint.size).toBe(3);
    expect(checkpoint.origin).toBe(DEFAULT_ORIGIN);
    expect(result.stdout.split('\n')[0]).toBe(DEFAULT_ORIGIN);
    // The signature is what makes it verify: another log's key must not accept it.
    expect(() => verifyCheckpoint(result.stdout, signingKey('another log').vkey)).toThrow();
  });

  it('consistency --from N --to M proves the older checkpoint is a prefix of the newer', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(3));
    const at3 = await log.checkpoint();
    await log.seed(events(4, 3));
    const at7 = await log.checkpoint();
    expect([at3.size, at7.size]).toEqual([3, 7]);
    const [explicit, toLatest, same] = await Promise.all([
      log.consistency(['--from', '3', '--to', '7']),
      log.consistency(['--from', '3']),
      log.consistency(['--from', '7', '--to', '7']),
    ]);
    expect(explicit).toMatchObject({ from: 3, to: 7 });
    expect(toLatest).toEqual(explicit);
    const hashes = explicit.hashes.map(fromBase64);
    expect(hashes.length).toBeGreaterThan(0);
    verifyConsistency(3, 7, hashes, at3.root, at7.root);
    expect(() => verifyConsistency(3, 7, hashes, at7.root, at7.root)).toThrow();
    expect(same).toEqual({ from: 7, to: 7, hashes: [] });
    verifyConsistency(7, 7, [], at7.root, at7.root);
  });

  it('verify passes on an untouched store and names the first bad index after tampering', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(6));
    const ok = await log.audit(['verify']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^ok: 6 entries, \d+ checkpoints in history verified\n$/);
    await log.withPlane(async (plane) => {
      const forged = canonical(expectedEntry(event('test', { n: 999 }), 2));
      await plane.store.db
        .updateTable('audit_entries')
        .set({ entry: forged })
        .where('idx', '=', 2)
        .execute();
    });
    const [text, json] = await Promise.all([log.audit(['verify']), log.auditJson(['verify'])]);
    expectFailure(text, 'log-inconsistent');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, size: 6 });
    expect(expectJsonFailure(json, 'log-inconsistent').detail).toBeDefined();
    // The edited entry is index 2; verify must name it, not an earlier index.
    expect(text.stderr).toContain('first bad index 2');
    expect(text.stdout).toMatch(/^FAILED at index 2: /);
    expect(JSON.parse(json.stdout)).toMatchObject({ firstBadIndex: 2 });
  });

  it('export --out writes a bundle that verifyBundle accepts with only the vkey', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(6));
    const out = join(log.cwd, 'bundle.json');
    const part = join(log.cwd, 'part.json');
    const [full, partial] = await Promise.all([
      log.audit(['export', '--out', out]),
      log.audit(['export', '--out', part, '--from', '2', '--to', '4']),
    ]);
    expect(full).toMatchObject({ code: 0, stderr: '', stdout: `bundle written to ${out}\n` });
    expect(partial).toMatchObject({ code: 0, stderr: '' });
    type Bundle = { entries: Array<{ index: number; entry: string; proof: string[] }> };
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as Bundle;
    expect(verifyBundle(bundle, TEST_KEY.vkey)).toMatchObject({
      origin: DEFAULT_ORIGIN,
      treeSize: 6,
      entries: 6,
    });
    expect(bundle.entries.map((e) => e.entry)).toEqual(await log.stored());
    // A bundle with an altered entry, or checked under another key, must not verify.
    const first = bundle.entries[0] as Bundle['entries'][number];
    const altered = { ...bundle, entries: [{ ...first, entry: first.entry.replace('0', '1') }] };
    expect(() => verifyBundle(altered, TEST_KEY.vkey)).toThrow();
    expect(() => verifyBundle(bundle, signingKey('another log').vkey)).toThrow();
    const subset = JSON.parse(readFileSync(part, 'utf8')) as Bundle;
    expect(verifyBundle(subset, TEST_KEY.vkey)).toMatchObject({ treeSize: 6, entries: 2 });
    expect(subset.entries.map((e) => e.index)).toEqual([2, 3]);
  });

  it('payload prints a stored payload; shred makes it unreadable and the log still verifies', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const payload = 'prompt: résumé ✓\nsecond line';
    await log.withPlane(async (plane) => {
      await plane.audit.append(
        { type: 'prompt', agent: 'agent-7' },
        { payloads: { prompt: payload } },
      );
    });
    const [entry] = await log.stored();
    const digest = (JSON.parse(entry as string) as { payloads: { prompt: string } }).payloads
      .prompt;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [read, unknown] = await Promise.all([
      log.audit(['payload', '--digest', digest]),
      log.audit(['payload', '--digest', `sha256:${'0'.repeat(64)}`]),
    ]);
    expect(read).toMatchObject({ code: 0, stderr: '', stdout: payload });
    expectFailure(unknown, 'not-found');
    const shred = await log.audit(['shred', '--agent', 'agent-7']);
    expect(shred).toMatchObject({ code: 0, stdout: 'shredded\n' });
    expectFailure(await log.audit(['payload', '--digest', digest]), 'payload-shredded');
    await log.withPlane(async (plane) => {
      // the read and the shredding are audit entries of their own
      expect(await plane.audit.verify()).toMatchObject({ ok: true, size: 3 });
      const types = (await plane.audit.entries(1, 2)).map(
        (e) => (JSON.parse(e.entry) as { type: string }).type,
      );
      expect(types).toEqual(['audit.payload.read', 'audit.shred']);
    });
  });
});

describe.concurrent('zt4ai audit --json', () => {
  it('every command prints JSON objects, one per line', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    const sent = events(3);
    const append = await log.auditJson(['append'], { input: `${sent.join('\n')}\n` });
    expect(append).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(append.stdout)).toEqual([{ index: 0 }, { index: 1 }, { index: 2 }]);
    const out = join(log.cwd, 'b.json');
    const results = await Promise.all([
      log.auditJson(['tail', '-n', '3']),
      log.auditJson(['checkpoint']),
      log.auditJson(['vkey']),
      log.auditJson(['proof', '--index', '1']),
      log.auditJson(['consistency', '--from', '1', '--to', '3']),
      log.auditJson(['verify']),
      log.auditJson(['export', '--out', out]),
    ]);
    // Shredding appends an audit entry of its own, so it runs after the readers above.
    results.push(await log.auditJson(['shred', '--agent', 'nobody']));
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    const [tail, checkpoint, vkey, proof, consistency, verify, exported, shred] = results.map(
      (result) => jsonLines(result.stdout),
    ) as unknown[][];
    expect(tail).toEqual(sent.map((line, i) => expectedEntry(line, i)));
    expect(checkpoint).toEqual([{ checkpoint: expect.any(String) as string }]);
    const note = (checkpoint?.[0] as { checkpoint: string }).checkpoint;
    expect(verifyCheckpoint(note, TEST_KEY.vkey).size).toBe(3);
    expect(vkey).toEqual([{ vkey: TEST_KEY.vkey }]);
    expect(proof).toEqual([
      {
        treeSize: 3,
        leafIndex: 1,
        leafHash: expect.any(String) as string,
        hashes: expect.any(Array) as string[],
      },
    ]);
    expect(consistency).toEqual([{ from: 1, to: 3, hashes: expect.any(Array) as string[] }]);
    expect(verify).toEqual([{ ok: true, size: 3, checkpoints: expect.any(Number) as number }]);
    expect(exported).toEqual([{ out }]);
    expect(shred).toEqual([{ agent: 'nobody', shredded: false }]);
  });

  it('payload prints one JSON object with --json', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    await log.withPlane(async (plane) => {
      await plane.audit.append({ type: 'prompt', agent: 'a' }, { payloads: { prompt: 'p' } });
    });
    const [entry] = await log.stored();
    const digest = (JSON.parse(entry as string) as { payloads: { prompt: string } }).payloads
      .prompt;
    const result = await log.auditJson(['payload', '--digest', digest]);
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    const objects = result.stdout.trimEnd().split('\n');
    expect(objects).toHaveLength(1);
    const parsed = JSON.parse(objects[0] as string) as unknown;
    expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
  });

  it('errors are one JSON object on stderr with the code and detail', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(2));
    const [bad, range, usage] = await Promise.all([
      log.auditJson(['append'], { input: `${event('ok')}\n{"type":\n` }),
      log.auditJson(['proof', '--index', '9']),
      log.auditJson(['proof', '--index', 'abc']),
    ]);
    expect(jsonLines(bad.stdout)).toEqual([{ index: 2 }]);
    expect(expectJsonFailure(bad, 'invalid-json').detail).toEqual({ line: 2 });
    expectJsonFailure(range, 'index-out-of-range');
    expect(range.stdout).toBe('');
    expectJsonFailure(usage, 'invalid-argument', 2);
  });
});

describe.concurrent('zt4ai audit append: bad input', () => {
  it('a malformed JSON line names its line; lines before it are appended, none after', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const input = [event('a'), event('b'), '{"type": "c", oops}', event('d'), event('e')];
    const result = await log.audit(['append'], { input: `${input.join('\n')}\n` });
    expectFailure(result, 'invalid-json');
    expect(result.stderr).toMatch(/\bline 3\b/);
    expect(jsonLines(result.stdout)).toEqual([{ index: 0 }, { index: 1 }]);
    expect((await log.stored()).map((line) => JSON.parse(line) as unknown)).toEqual([
      expectedEntry(input[0] as string, 0),
      expectedEntry(input[1] as string, 1),
    ]);
  });

  it.for([
    ['a missing "type"', JSON.stringify({ agent: 'a', time: FROZEN_TIME })],
    ['a JSON array instead of an object', '[{"type":"x"}]'],
    ['the reserved key "index"', JSON.stringify({ type: 'x', index: 0 })],
  ])('an event with %s is refused as invalid-entry', async ([, line], { onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    const input = `${event('ok')}\n${line}\n${event('never')}\n`;
    const result = await log.audit(['append'], { input });
    expectFailure(result, 'invalid-entry');
    expect(result.stderr).toMatch(/\bline 2\b/);
    expect(jsonLines(result.stdout)).toEqual([{ index: 0 }]);
    expect(await log.stored()).toHaveLength(1);
  });

  it('an entry over audit.maxEntryBytes from zt4ai.yaml in the cwd is refused', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const big = event('big', { pad: 'x'.repeat(300) });
    // Without a config file the default limit (1 MiB) accepts it.
    await log.append([big]);
    writeFileSync(join(log.cwd, 'zt4ai.yaml'), 'audit:\n  maxEntryBytes: 256\n');
    // Under the limit as sent, over it once canonicalised with its index: refused as well.
    const near = event('near', { pad: 'y'.repeat(256 - event('near', { pad: '' }).length - 4) });
    expect(Buffer.byteLength(near)).toBeLessThanOrEqual(256);
    const [first, second] = await Promise.all([
      log.audit(['append'], { input: `${event('ok')}\n${big}\n${event('never')}\n` }),
      log.audit(['append'], { input: `${near}\n` }),
    ]);
    expectFailure(first, 'entry-too-large');
    expect(first.stderr).toMatch(/\bline 2\b/);
    expect(jsonLines(first.stdout)).toEqual([{ index: 1 }]);
    expectFailure(second, 'entry-too-large');
    expect(second.stderr).toMatch(/\bline 1\b/);
    expect(second.stdout).toBe('');
    expect(await log.stored()).toHaveLength(2);
  });

  it('an entry over the default 1 MiB limit is refused', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    const huge = event('huge', { pad: 'z'.repeat(1024 * 1024) });
    const result = await log.audit(['append'], { input: `${event('ok')}\n${huge}\n` });
    expectFailure(result, 'entry-too-large');
    expect(result.stderr).toMatch(/\bline 2\b/);
    expect(jsonLines(result.stdout)).toEqual([{ index: 0 }]);
  });

  it('--config FILE sets the limit as a zt4ai.yaml in the cwd does', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    const file = join(log.cwd, 'limits.yml');
    writeFileSync(file, 'audit:\n  maxEntryBytes: 128\n');
    const big = event('big', { pad: 'x'.repeat(200) });
    const result = await runCli(['--config', file, 'audit', 'append', '--data-dir', log.dataDir], {
      input: `${big}\n`,
    });
    expectFailure(result, 'entry-too-large');
    expect(result.stdout).toBe('');
  });
});

describe.concurrent('zt4ai audit: impossible requests', () => {
  it.for([
    ['proof --index 3 (index = size)', ['proof', '--index', '3'], 'index-out-of-range', 1],
    ['proof --size 0', ['proof', '--index', '0', '--size', '0'], 'invalid-tree-size', 1],
    ['proof --size > log size', ['proof', '--index', '0', '--size', '4'], 'invalid-tree-size', 1],
    ['consistency from > to', ['consistency', '--from', '3', '--to', '2'], 'invalid-range', 1],
    ['consistency --from 0', ['consistency', '--from', '0', '--to', '2'], 'invalid-range', 1],
    ['proof --index -1', ['proof', '--index', '-1'], 'invalid-argument', 2],
    ['proof --index abc', ['proof', '--index', 'abc'], 'invalid-argument', 2],
  ] as const)('%s is refused', async ([, args, code, exitCode], { onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(3));
    const result = await log.audit(args);
    expectFailure(result, code, exitCode);
    expect(result.stdout).toBe('');
  });

  it('a proof from an empty log says the log is empty', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    const result = await log.audit(['proof', '--index', '0']);
    expectFailure(result, 'invalid-tree-size');
    expect(result.stderr).toContain('empty');
  });

  it('a failed export leaves no file behind, and an existing file is never overwritten', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(events(2));
    const existing = join(log.cwd, 'existing.json');
    writeFileSync(existing, 'keep me');
    const out = join(log.cwd, 'range.json');
    const [clash, range] = await Promise.all([
      log.audit(['export', '--out', existing]),
      log.audit(['export', '--out', out, '--from', '5']),
    ]);
    expectFailure(clash, 'invalid-argument', 2);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expectFailure(range, 'invalid-range');
    expect(existsSync(out)).toBe(false);
  });
});

describe.concurrent('zt4ai: configuration and usage errors', () => {
  it('an unknown key in ./zt4ai.yaml is refused, naming the key and the file', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const file = join(log.cwd, 'zt4ai.yaml');
    writeFileSync(file, 'audit:\n  maxEntrybytes: 256\n');
    const [text, json] = await Promise.all([log.audit(['tail']), log.auditJson(['tail'])]);
    expectFailure(text, 'config-unknown-key');
    expect(text.stderr).toContain('audit.maxEntrybytes');
    expect(text.stderr).toContain(file);
    expect(expectJsonFailure(json, 'config-unknown-key').detail).toEqual({
      key: 'audit.maxEntrybytes',
      file,
    });
  });

  it('an unknown key in a --config file is refused, with a hint for a renamed key', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const unknown = join(log.cwd, 'custom.yaml');
    const renamed = join(log.cwd, 'renamed.yaml');
    writeFileSync(unknown, 'bogus: 1\n');
    writeFileSync(renamed, 'audit:\n  max_entry_bytes: 10\n');
    const vkey = (file: string): Promise<CliResult> =>
      runCli(['--config', file, 'audit', 'vkey', '--data-dir', log.dataDir]);
    const [first, second] = await Promise.all([vkey(unknown), vkey(renamed)]);
    expectFailure(first, 'config-unknown-key');
    expect(first.stderr).toContain('"bogus"');
    expect(first.stderr).toContain(unknown);
    expectFailure(second, 'config-unknown-key');
    expect(second.stderr).toContain('audit.max_entry_bytes');
    expect(second.stderr).toContain('did you mean "maxEntryBytes"');
    expect(second.stderr).toContain(renamed);
  });

  it('an invalid value or a missing --config file is refused', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    writeFileSync(join(log.cwd, 'zt4ai.yaml'), 'audit:\n  maxEntryBytes: -5\n');
    const missing = join(log.cwd, 'missing.yaml');
    const [value, absent] = await Promise.all([
      log.audit(['vkey']),
      runCli(['--config', missing, 'audit', 'vkey', '--data-dir', log.dataDir]),
    ]);
    expectFailure(value, 'config-invalid');
    expect(value.stderr).toContain('audit.maxEntryBytes');
    expectFailure(absent, 'config-file-unreadable');
    expect(absent.stderr).toContain(missing);
  });

  it('ZT4AI_* environment variables configure the CLI, and flags override them', async ({
    onTestFinished,
  }) => {
    const log = new TestLog(onTestFinished);
    const other = new TestLog(onTestFinished);
    const env = { ZT4AI_DATA_DIR: log.dataDir };
    const [viaEnv, viaFlag, badPort] = await Promise.all([
      runCli(['audit', 'append'], { cwd: log.cwd, env, input: `${event('env')}\n` }),
      runCli(['audit', 'append', '--data-dir', other.dataDir], {
        cwd: log.cwd,
        env,
        input: `${event('flag')}\n${event('flag')}\n`,
      }),
      runCli(['audit', 'vkey', '--data-dir', log.dataDir], { env: { ZT4AI_PORT: 'not-a-port' } }),
    ]);
    expect(viaEnv).toMatchObject({ code: 0, stdout: '{"index":0}\n' });
    expect(viaFlag).toMatchObject({ code: 0, stdout: '{"index":0}\n{"index":1}\n' });
    expect(await log.stored()).toHaveLength(1);
    expect(await other.stored()).toHaveLength(2);
    expectFailure(badPort, 'config-invalid');
    expect(badPort.stderr).toContain('ZT4AI_PORT');
  });

  it('an unknown top-level command is a usage error (exit 2)', async () => {
    const [text, json] = await Promise.all([runCli(['bogus']), runCli(['--json', 'bogus'])]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^zt4ai: error \[invalid-argument\]: unknown command 'bogus'$/m);
    expect(text.stderr).not.toContain(STACK_FRAME);
    expect(json.code).toBe(2);
    const last = lines(json.stderr).at(-1) as string;
    expect(JSON.parse(last)).toMatchObject({ error: { code: 'invalid-argument' } });
  });

  it.for([
    ['an unknown audit subcommand', ['audit', 'bogus']],
    ['an unknown option', ['audit', 'tail', '--bogus']],
    ['a missing required option', ['audit', 'proof']],
  ] as const)('%s is a usage error with a stable code (exit 2)', async ([, args]) => {
    const result = await runCli([...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^zt4ai: error \[invalid-argument\]: \S.*$/m);
    expect(result.stderr).not.toContain(STACK_FRAME);
  });

  it('a usage error under a subcommand is JSON with --json', async () => {
    const result = await runCli(['--json', 'audit', 'bogus']);
    expect(result.code).toBe(2);
    const last = lines(result.stderr).at(-1) as string;
    expect(() => JSON.parse(last) as unknown).not.toThrow();
    expect(JSON.parse(last)).toMatchObject({ error: { code: 'invalid-argument' } });
  });
});

describe.concurrent('zt4ai audit: signing key and output robustness', () => {
  it('a signing key whose base64 contains "+" is accepted (C2SP key data may hold "+")', async ({
    onTestFinished,
  }) => {
    const key = signingKey('zt4ai test key 2');
    expect(key.keyData).toContain('+');
    const log = new TestLog(onTestFinished, freshDataDir(key));
    const result = await log.audit(['vkey']);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `${key.vkey}\n` });
  });

  it('first start on empty data dirs creates a usable key (mode 0600) every time', async ({
    onTestFinished,
  }) => {
    // Each new key is random; several first starts make a key-format bug that hits about half of
    // all keys show up with near certainty (all pass by chance with probability 1/16).
    const logs = Array.from({ length: 4 }, () => new TestLog(onTestFinished, freshDataDir(null)));
    const appends = await Promise.all(
      logs.map((log) => log.audit(['append'], { input: `${event('first')}\n` })),
    );
    for (const [i, log] of logs.entries()) {
      expect(appends[i]).toMatchObject({ code: 0, stderr: '', stdout: '{"index":0}\n' });
      expect(statSync(join(log.dataDir, 'audit-log.key')).mode & 0o777).toBe(0o600);
      await log.withPlane(async (plane) => {
        expect(verifyCheckpoint(await plane.audit.checkpoint(), plane.audit.vkey).size).toBe(1);
      });
    }
  });

  it('a reader that closes stdout early gets no stack trace', async ({ onTestFinished }) => {
    const log = new TestLog(onTestFinished);
    await log.seed(
      Array.from({ length: 1000 }, (_, n) => event('wide', { n, pad: 'w'.repeat(200) })),
    );
    const child = spawnCli(['audit', 'tail', '-n', '1000', '--data-dir', log.dataDir]);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    let first = true;
    onLines(child.stdout, () => {
      if (first) child.stdout.destroy();
      first = false;
    });
    const { code, signal } = await exited(child);
    expect(signal).toBeNull();
    expect(code).not.toBeNull();
    expect(stderr).not.toContain(STACK_FRAME);
  });
});
