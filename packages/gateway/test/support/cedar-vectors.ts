// Cedar's integration tests (../shared/vectors/cedar): where they are, their shape, and the
// generated corpus extracted once into a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
