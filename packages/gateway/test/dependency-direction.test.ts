// The dependency direction of docs/design.md §3, checked on the sources: a new import across a
// boundary fails here rather than in review.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Every .ts file under src/, with the modules it imports. */
function sources(): Array<{ file: string; imports: string[] }> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(SRC);
  return files.map((path) => ({
    file: relative(SRC, path),
    imports: [
      ...readFileSync(path, 'utf8').matchAll(
        /^\s*(?:import|export)(?!\s+type\s)[^'"]*from\s+'([^']+)'/gm,
      ),
    ].map((m) => m[1] as string),
  }));
}

const component = (file: string): string => (file.includes('/') ? file.split('/')[0]! : file);

/** What a file imports from other components of the gateway, by component name. */
function componentsImported(file: string, imports: readonly string[]): string[] {
  return imports
    .filter((m) => m.startsWith('.'))
    .map((m) => relative(SRC, join(SRC, file, '..', m)))
    .map(component)
    .filter((c) => c !== component(file));
}

describe('dependency direction', () => {
  const all = sources();

  it('only agent-side code links @zt4ai/sdk: the local MCP proxy and the demo agents', () => {
    const linking = all.filter((s) => s.imports.includes('@zt4ai/sdk')).map((s) => s.file);
    expect(linking.length).toBeGreaterThan(0);
    for (const file of linking)
      expect(file).toMatch(/^(cli\/mcp-proxy-command\.ts|mcp\/local-proxy[a-z-]*\.ts|demo\/)/);
  });

  it('nothing imports cli/, api/ or server.ts but themselves (and the composition they serve)', () => {
    for (const { file, imports } of all) {
      const used = componentsImported(file, imports);
      if (!['cli', 'api', 'server.ts', 'demo', 'index.ts'].includes(component(file)))
        expect({ file, used: used.filter((c) => ['cli', 'api', 'server.ts'].includes(c)) }).toEqual(
          {
            file,
            used: [],
          },
        );
    }
  });

  it('the guard and everything below it never import an enforcement point or remediation', () => {
    const below = ['guard', 'identity', 'grants', 'detectors', 'policy', 'audit', 'store'];
    for (const { file, imports } of all) {
      if (!below.includes(component(file))) continue;
      const used = componentsImported(file, imports);
      expect({ file, used: used.filter((c) => ['mcp', 'llm', 'remediation'].includes(c)) }).toEqual(
        {
          file,
          used: [],
        },
      );
    }
  });

  // Files are read when policies and parsers load (the baseline pack, a bundle, grammars); a
  // decision itself never waits on the network, another process or the store.
  it('policy and detectors reach no network, process or store', () => {
    const io =
      /^(node:)?(net|http|https|http2|child_process|dgram|dns|tls)(\/|$)|^(pg|better-sqlite3|kysely)$/;
    for (const { file, imports } of all)
      if (['policy', 'detectors'].includes(component(file)))
        expect({ file, io: imports.filter((m) => io.test(m)) }).toEqual({ file, io: [] });
  });
});
