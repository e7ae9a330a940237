// Locates the read-only known-answer vectors (../shared/vectors from the repository root, DESIGN §9).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Root of the vectors tree: `$ZT4AI_VECTORS_DIR`, else `<repo>/../shared/vectors`. */
export const vectorsDir =
  process.env['ZT4AI_VECTORS_DIR'] ?? path.resolve(repoRoot, '../shared/vectors');

/** Every `.json` file under `sub` (relative to {@link vectorsDir}), recursively, sorted. */
export function jsonFilesUnder(sub: string): string[] {
  const root = path.join(vectorsDir, sub);
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** Parses a JSON vector file under {@link vectorsDir}. */
export function readVector(...parts: string[]): unknown {
  return JSON.parse(readFileSync(path.join(vectorsDir, ...parts), 'utf8'));
}
