// Symbolic links in path arguments (docs/mcp-gateway.md, "Paths and symbolic links"). The path
// detector is lexical (no file I/O), so a link inside an allowed root that points out of it passes
// it. For upstreams on this host (stdio), every path-kind argument that lies inside a configured root
// is replaced by its real path — the longest existing prefix resolved with realpath(3), the rest
// appended — before the guard sees the call, so the guard judges (and the upstream receives) where
// the path really leads. A link to a place outside every root then fails `baseline/path-traversal`.
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ArgKind } from '../detectors/detector.js';

/** Deepest argument nesting walked, and most path segments climbed to find an existing prefix. */
const MAX_DEPTH = 32;
const MAX_SEGMENTS = 256;

/**
 * `args` with each path-kind string (by `argKinds`, array indices ignored) that lies inside a root
 * replaced by its resolved form. Arguments are never mutated. A path that cannot be resolved (no
 * permission, a loop) is left as it is: the upstream meets the same error when it opens it.
 */
export async function resolvePathArguments(
  args: unknown,
  argKinds: Readonly<Record<string, ArgKind>>,
  roots: readonly string[],
): Promise<unknown> {
  if (roots.length === 0 || !Object.values(argKinds).includes('path')) return args;
  const realRoots = await Promise.all(
    roots.map(async (root) => ({ root, real: await real(root) })),
  );
  const walk = async (value: unknown, path: string, depth: number): Promise<unknown> => {
    if (depth > MAX_DEPTH) return value;
    if (typeof value === 'string')
      return argKinds[path] === 'path' ? resolveOne(value, realRoots) : value;
    if (Array.isArray(value)) return Promise.all(value.map((v) => walk(v, path, depth + 1)));
    if (typeof value !== 'object' || value === null) return value;
    const entries = await Promise.all(
      Object.entries(value).map(
        async ([key, v]) =>
          [key, await walk(v, path === '' ? key : `${path}.${key}`, depth + 1)] as const,
      ),
    );
    return Object.fromEntries(entries);
  };
  return walk(args, '', 0);
}

interface Root {
  readonly root: string;
  readonly real: string;
}

/** The path as it really resolves, expressed under the configured root when it stays inside one. */
async function resolveOne(value: string, roots: readonly Root[]): Promise<string> {
  if (value.includes('\u0000') || value === '') return value;
  const candidates = isAbsolute(value)
    ? [resolve(value)]
    : roots.map((r) => resolve(r.root, value));
  for (const candidate of candidates) {
    if (!roots.some((r) => within(candidate, r.root) || within(candidate, r.real))) continue;
    let resolved: string;
    try {
      resolved = await realPrefix(candidate);
    } catch {
      continue;
    }
    const home = roots.find((r) => within(resolved, r.real));
    if (home === undefined) return resolved; // leads out of every root: let the guard see where
    if (isAbsolute(value)) return join(home.root, relative(home.real, resolved));
  }
  return value;
}

/** realpath(3) of the longest existing prefix of `path`, with the missing rest appended. */
async function realPrefix(path: string): Promise<string> {
  const missing: string[] = [];
  let head = path;
  for (let i = 0; i < MAX_SEGMENTS; i++) {
    try {
      return join(await realpath(head), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(head) === head) throw error;
      missing.push(basename(head));
      head = dirname(head);
    }
  }
  throw new Error('path too deep');
}

async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

function within(path: string, root: string): boolean {
  const base = resolve(root);
  return path === base || path.startsWith(base.endsWith(sep) ? base : `${base}${sep}`);
}
