// How operators log in, from `operators` in zt4ai.yaml, with the built `zt4ai up`: the first start's
// link and the session it opens carry the configured lifetimes; with login links turned off there is
// no link to print, issue or redeem; settings that cannot work are refused at start, naming the key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../src/demo/free-port.js';
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

describe('login links turned off (single sign-on only)', () => {
  it('prints, issues and redeems no login link, and makes no local admin', async () => {
    const oidc = {
      issuer: `http://127.0.0.1:${await freeLoopbackPort('127.0.0.1')}`,
      clientId: 'zt4ai',
      clientSecret: 'x',
      roles: { 'zt4ai-admins': ['admin'] },
    };
    const dir = dataDirWith({ loginLinks: false, oidc });
    const server = await startServer(dir, { cwd: dir });
    try {
      const methods = await fetch(`${server.url}/api/session/methods`);
      expect(await methods.json()).toEqual({ loginLink: false, oidc: true });
      expect(server.stderr()).toContain('governance center at');
      expect(server.stderr()).not.toContain('#login=');
      const redeem = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'A'.repeat(43) }),
      });
      expect(redeem.status).toBe(401);
      expect(await redeem.json()).toEqual({
        error: { code: 'login-invalid', message: 'login links are turned off: use single sign-on' },
      });
      const cli = (args: string[]) => runCli(['--data-dir', dir, '--json', ...args], { cwd: dir });
      const issued = await cli(['operator', 'login-link', 'admin']);
      expect(issued.code).not.toBe(0);
      expect(issued.stderr).toContain('forbidden');
      expect(JSON.parse((await cli(['operator', 'list'])).stdout)).toEqual({ operators: [] });
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  });

  it('refuses to start without single sign-on: nobody could log in', async () => {
    const dir = dataDirWith({ loginLinks: false });
    const result = await runCli(['up', '--port', '0', '--data-dir', dir], { cwd: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /config-invalid.*operators\.loginLinks: false needs operators\.oidc/,
    );
  });
});
