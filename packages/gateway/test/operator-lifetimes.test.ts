// How long operator sessions and login links last, from `operators` in zt4ai.yaml, with the built
// `zt4ai up`: the first start's link and the session it opens carry the configured lifetimes, and a
// lifetime out of bounds is refused at start with a clear error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstStartToken } from './support/operators.js';
import { exited, freshDataDir, removeDir, runCli, startServer } from './support/process.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function dataDirWith(operators: Record<string, unknown>): string {
  const dir = freshDataDir();
  dirs.push(dir);
  writeFileSync(join(dir, 'zt4ai.yaml'), JSON.stringify({ operators }));
  return dir;
}

describe('operator session and login link lifetimes', () => {
  it('the first start link and the session it opens last as configured', async () => {
    const dir = dataDirWith({ sessionTtlSeconds: 900, loginLinkTtlSeconds: 120 });
    const server = await startServer(dir, { cwd: dir });
    try {
      const token = await firstStartToken(server.stderr);
      const until = /valid until ([^)]+)\)/.exec(server.stderr())?.[1] ?? '';
      const linkSeconds = (Date.parse(until) - Date.now()) / 1000;
      expect(linkSeconds).toBeGreaterThan(100);
      expect(linkSeconds).toBeLessThanOrEqual(120);
      const response = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      const { expiresAt } = (await response.json()) as { expiresAt: string };
      const sessionSeconds = (Date.parse(expiresAt) - Date.now()) / 1000;
      expect(sessionSeconds).toBeGreaterThan(880);
      expect(sessionSeconds).toBeLessThanOrEqual(900);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  });

  it('refuses a session lifetime below five minutes, naming the key', async () => {
    const dir = dataDirWith({ sessionTtlSeconds: 60 });
    const result = await runCli(['up', '--port', '0', '--data-dir', dir], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/config-invalid.*operators\.sessionTtlSeconds/);
  });
});
