// Recomputes the whole log from the store: every entry, every stored tree node and every signed
// checkpoint, and names the first bad index. Used by `zt4ai audit verify`.
//
// What "first bad index" means: an edited, deleted, reordered or inserted entry row is named
// exactly (each entry carries its own index, and its leaf hash is kept in the node table). When
// entries and nodes were rewritten together, the mismatch is found at the lowest stored node or
// signed checkpoint that disagrees, and the first leaf that node or checkpoint covers is named.
import {
  CompactRange,
  leafHash,
  nodeHash,
  peakCoordinates,
  verifyCheckpoint,
  VerifyError,
} from '@zt4ai/verify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';

export type LogReport =
  | { readonly ok: true; readonly size: number; readonly checkpoints: number }
  | {
      readonly ok: false;
      readonly size: number;
      readonly firstBadIndex: number;
      readonly reason: string;
    };

interface Problem {
  readonly index: number;
  readonly reason: string;
  /**
   * Set when the problem only shows that some leaf in [index, end) is bad: a tree node or signed
   * root that no longer matches. A narrower problem inside that range explains it.
   */
  readonly end?: number;
}

const PAGE = 20_000;
const HASH = 32;

/** Verifies the log against `vkey`, the log's trusted verifier key. */
export async function verifyLog(db: Kysely<Database>, vkey: string): Promise<LogReport> {
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  const size = head?.size ?? 0;
  const problems: Problem[] = [];
  const { leaves, good } = await checkEntries(db, size, problems);
  const levels = await checkNodes(db, leaves, good, problems);
  const rootAt = (n: number): Uint8Array =>
    CompactRange.fromPeaks(
      n,
      peakCoordinates(n).map((c) => levelHash(levels, c.level, c.index)),
    ).root();
  const checkpoints = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('size')
    .execute();
  let lastGood = 0;
  for (const row of checkpoints) {
    const stored = { size: row.size };
    if (checkSignedTree(row.checkpoint, vkey, stored, good, rootAt, lastGood, problems)) {
      lastGood = row.size;
    }
  }
  const largest = checkpoints.at(-1)?.size ?? 0;
  if (largest > size) {
    // A signed checkpoint for a larger tree than the head: the log was rolled back.
    problems.push({
      index: size,
      reason: `a signed checkpoint covers ${largest} entries but the log has ${size}`,
    });
  }
  if (head !== undefined) {
    const stored = { size, root: head.root };
    checkSignedTree(head.checkpoint, vkey, stored, good, rootAt, lastGood, problems);
  }
  const first = firstProblem(problems);
  if (first === undefined) return { ok: true, size, checkpoints: checkpoints.length };
  return { ok: false, size, firstBadIndex: first.index, reason: first.reason };
}

/** The earliest problem that no narrower problem inside its range explains. */
function firstProblem(problems: readonly Problem[]): Problem | undefined {
  const end = (p: Problem): number => p.end ?? p.index + 1;
  const explained = (p: Problem): boolean =>
    problems.some(
      (q) => q.index >= p.index && end(q) <= end(p) && end(q) - q.index < end(p) - p.index,
    );
  return problems.filter((p) => !explained(p)).sort((a, b) => a.index - b.index)[0];
}

/** Reads entries in index order; returns their leaf hashes and how many leading entries are sound. */
async function checkEntries(
  db: Kysely<Database>,
  size: number,
  problems: Problem[],
): Promise<{ leaves: Buffer; good: number }> {
  const leaves = Buffer.alloc(size * HASH);
  let expected = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('idx', '>=', expected)
      .orderBy('idx')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const problem = entryProblem(row.idx, row.entry, expected, size);
      if (problem !== undefined) {
        problems.push(problem);
        return { leaves, good: problem.index };
      }
      leaves.set(leafHash(Buffer.from(row.entry, 'utf8')), row.idx * HASH);
      expected += 1;
    }
    if (rows.length < PAGE) break;
  }
  if (expected < size) problems.push({ index: expected, reason: 'entry is missing' });
  return { leaves, good: expected };
}

function entryProblem(
  idx: number,
  entry: string,
  expected: number,
  size: number,
): Problem | undefined {
  if (idx !== expected) return { index: expected, reason: 'entry is missing' };
  if (idx >= size) return { index: idx, reason: 'entry is not covered by any signed tree' };
  if (entryIndex(entry) !== idx)
    return { index: idx, reason: 'entry is not the one sequenced at this index' };
  return undefined;
}

function entryIndex(entry: string): unknown {
  try {
    const parsed: unknown = JSON.parse(entry);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as { index?: unknown }).index
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Recomputes every perfect-subtree node over the sound prefix, level by level, and compares each
 * with the stored node. Returns the recomputed levels.
 */
async function checkNodes(
  db: Kysely<Database>,
  leaves: Buffer,
  good: number,
  problems: Problem[],
): Promise<Buffer[]> {
  const levels: Buffer[] = [leaves.subarray(0, good * HASH)];
  for (let level = 0; ; level++) {
    const current = levels[level] as Buffer;
    await compareStoredLevel(db, level, current, problems);
    const count = Math.floor(current.length / HASH / 2);
    if (count === 0) break;
    const next = Buffer.alloc(count * HASH);
    for (let i = 0; i < count; i++) {
      const left = current.subarray(2 * i * HASH, (2 * i + 1) * HASH);
      const right = current.subarray((2 * i + 1) * HASH, (2 * i + 2) * HASH);
      next.set(nodeHash(left, right), i * HASH);
    }
    levels.push(next);
  }
  return levels;
}

async function compareStoredLevel(
  db: Kysely<Database>,
  level: number,
  computed: Buffer,
  problems: Problem[],
): Promise<void> {
  const count = computed.length / HASH;
  let next = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_nodes')
      .select(['idx', 'hash'])
      .where('level', '=', level)
      .where('idx', '>=', next)
      .orderBy('idx')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      if (row.idx >= count) return; // beyond the sound prefix: already reported as an entry problem
      if (row.idx !== next) {
        problems.push(nodeProblem(level, next, 'is missing'));
        return;
      }
      if (!Buffer.from(row.hash).equals(computed.subarray(row.idx * HASH, (row.idx + 1) * HASH))) {
        problems.push(nodeProblem(level, row.idx, 'does not match'));
        return;
      }
      next += 1;
    }
    if (rows.length < PAGE) break;
  }
  if (next < count) problems.push(nodeProblem(level, next, 'is missing'));
}

function nodeProblem(level: number, index: number, what: string): Problem {
  const span = 2 ** level;
  return {
    index: index * span,
    end: (index + 1) * span,
    reason: `tree node ${level}/${index} ${what}`,
  };
}

/** Checks one signed checkpoint against the recomputed tree; returns true when it holds. */
function checkSignedTree(
  note: string,
  vkey: string,
  stored: { size: number; root?: Uint8Array },
  good: number,
  rootAt: (size: number) => Uint8Array,
  coveredUpTo: number,
  problems: Problem[],
): boolean {
  let checkpoint;
  try {
    checkpoint = verifyCheckpoint(note, vkey);
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    problems.push({
      index: Math.max(stored.size - 1, 0),
      reason: `checkpoint for size ${stored.size} is not validly signed`,
    });
    return false;
  }
  const sameRoot =
    stored.root === undefined || Buffer.from(stored.root).equals(checkpoint.rootHash);
  if (checkpoint.size !== stored.size || !sameRoot) {
    problems.push({
      index: Math.max(stored.size - 1, 0),
      reason: `checkpoint for size ${stored.size} was altered`,
    });
    return false;
  }
  if (checkpoint.size > good || checkpoint.size === 0) return checkpoint.size === 0;
  if (!Buffer.from(rootAt(checkpoint.size)).equals(checkpoint.rootHash)) {
    problems.push({
      index: coveredUpTo,
      end: checkpoint.size,
      reason: `entries do not match the signed checkpoint for size ${checkpoint.size}`,
    });
    return false;
  }
  return true;
}

function levelHash(levels: readonly Buffer[], level: number, index: number): Uint8Array {
  return (levels[level] as Buffer).subarray(index * HASH, (index + 1) * HASH);
}
