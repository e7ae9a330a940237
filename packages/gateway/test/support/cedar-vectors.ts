// Cedar's integration tests (../shared/vectors/cedar): where they are, their shape, and the
// generated corpus extracted once into a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLosslessNumber } from 'lossless-json';
import type { CedarDecision } from '../../src/policy/cedar-engine.js';
import { parseJsonLossless } from '../../src/policy/lossless-json.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const vectorsDir = process.env['ZT4AI_VECTORS_DIR'] ?? path.resolve(repoRoot, '../shared/vectors');

/** The folder of the Cedar vectors (handwritten tests under `tests/`, `corpus-tests.tar.gz`). */
export const CEDAR_DIR = path.join(vectorsDir, 'cedar');

export interface VectorRequest {
  description: string;
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: Record<string, unknown>;
  validateRequest?: boolean;
  decision: 'allow' | 'deny';
  reason: string[];
  errors: string[];
}

export interface VectorTest {
  policies: string;
  entities: string;
  schema: string;
  shouldValidate: boolean;
  requests: VectorRequest[];
}

/** Every test file under `dir` (recursively), sorted; entity files are not tests. */
export function listVectorFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listVectorFiles(full));
    else if (entry.endsWith('.json') && !entry.endsWith('.entities.json')) out.push(full);
  }
  return out.sort();
}

/** Extracts the generated corpus; returns its base dir and a function that removes it. */
export function extractCorpus(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  execFileSync('tar', ['-xzf', path.join(CEDAR_DIR, 'corpus-tests.tar.gz'), '-C', dir]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One test file with the policy text, schema text and entities it names (relative to `baseDir`). */
export function readVector(
  baseDir: string,
  file: string,
): { test: VectorTest; policies: string; schema: string; entities: unknown } {
  const test = parseJsonLossless(readFileSync(file, 'utf8')) as VectorTest;
  return {
    test,
    policies: readFileSync(path.join(baseDir, test.policies), 'utf8'),
    schema: readFileSync(path.join(baseDir, test.schema), 'utf8'),
    entities: parseJsonLossless(readFileSync(path.join(baseDir, test.entities), 'utf8')),
  };
}

/** True when the parsed JSON carries a number the JS binding cannot carry (test-side check). */
export function carriesUnsafeNumber(value: unknown): boolean {
  if (isLosslessNumber(value)) return true;
  if (typeof value === 'number') return !Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.some(carriesUnsafeNumber);
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).some(carriesUnsafeNumber);
  }
  return false;
}

/** Equal as sets (Cedar reports policy ids in no fixed order). */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

/** A decision (or the fast path's 'fallback') for failure messages. */
export function describeDecision(d: CedarDecision | 'fallback'): string {
  if (d === 'fallback') return 'fallback';
  return d.decision === 'error'
    ? `error ${d.code}: ${d.message}`
    : `${d.decision} reason=${JSON.stringify(d.policyIds)} errors=${JSON.stringify(d.errors)}`;
}
