// Operator single sign-on end to end: the built `zt4ai up` in front of a real OpenID Connect provider
// (oidc-provider from npm, on loopback, with its development login pages), driven the way a
// browser drives it: redirects followed by hand, cookies kept per site. An account whose group maps
// to a role gets a session with that role; everything else (no mapped role, no started login in this
// browser, a code used twice, a local operator's name) opens nothing; a provider that cannot be
// reached is a clear 503.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_RETRY_AFTER_MS, OidcLogin } from '../src/access/index.js';
import { loadConfig } from '../src/config/index.js';
import { freeLoopbackPort } from '../src/demo/free-port.js';
import { ZtError } from '../src/errors.js';
import { type ControlPlane, openControlPlane } from '../src/server.js';
import { launchBrowser } from './support/browser.js';
import { auditEvents } from './support/grants.js';
import { firstStartToken, redeemLogin } from './support/operators.js';
import {
  exited,
  freshDataDir,
  removeDir,
  runCli,
  type RunningServer,
  startServer,
} from './support/process.js';

const CLIENT_SECRET = randomBytes(24).toString('base64url');
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { email: 'alice@bank.example', email_verified: true, groups: ['risk-approvers'] },
  bob: { email: 'bob@bank.example', email_verified: true, groups: ['marketing'] },
  eve: { email: 'admin', email_verified: true, groups: ['zt4ai-admins'] },
};

let idp: Server;
let idpUrl: string;
let dataDir: string;
let server: RunningServer;

beforeAll(async () => {
  const [idpPort, port] = [
    await freeLoopbackPort('127.0.0.1'),
    await freeLoopbackPort('127.0.0.1'),
  ];
  idpUrl = `http://127.0.0.1:${idpPort}`;
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const provider = new Provider(idpUrl, {
    clients: [
      {
        client_id: 'zt4ai',
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${gatewayUrl}/api/session/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    findAccount: (_ctx, id) =>
      ACCOUNTS[id] === undefined
        ? undefined
        : { accountId: id, claims: () => ({ sub: id, ...ACCOUNTS[id] }) },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(16).toString('hex')] },
  });
  idp = provider.listen(idpPort);
  dataDir = freshDataDir();
  writeFileSync(
    join(dataDir, 'zt4ai.yaml'),
    JSON.stringify({
      identity: { issuer: gatewayUrl },
      operators: {
        oidc: {
          issuer: idpUrl,
          clientId: 'zt4ai',
          clientSecret: { env: 'ZT4AI_TEST_OIDC_SECRET' },
          roles: { 'risk-approvers': ['approver'], 'zt4ai-admins': ['admin'] },
          maxAgeSeconds: 300,
        },
      },
    }),
  );
  server = await startServer(
    dataDir,
    { env: { ZT4AI_TEST_OIDC_SECRET: CLIENT_SECRET }, cwd: dataDir },
    ['--port', String(port)],
  );
  expect(server.url).toBe(gatewayUrl);
});

afterAll(async () => {
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await exited(server.child);
  }
  idp?.close();
  if (dataDir !== undefined) removeDir(dataDir);
});

/** A browser: cookies per origin, redirects followed by hand. */
class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const { origin } = new URL(url);
    const jar = this.#cookies.get(origin) ?? new Map<string, string>();
    this.#cookies.set(origin, jar);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie === '' ? {} : { cookie }), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.#cookies.get(origin)?.get(name);
  }

  /**
   * From `GET /api/session/oidc` through the provider's login and consent pages as `account`, up
   * to the gateway's callback URL (not opened).
   */
  async toCallback(account: string): Promise<string> {
    let response = await this.request(`${server.url}/api/session/oidc`);
    expect(response.status).toBe(302);
    // PKCE, state, nonce, and a fresh authentication at the provider (max_age) are asked for.
    const asked = new URL(response.headers.get('location') ?? '').searchParams;
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('max_age')).toBe('300');
    expect([asked.get('state'), asked.get('nonce')]).not.toContain(null);
    for (let step = 0; step < 12; step++) {
      const location = response.headers.get('location');
      if (location !== null) {
        const next = new URL(location, response.url || idpUrl).href;
        if (next.startsWith(`${server.url}/api/session/oidc/callback`)) return next;
        response = await this.request(next);
        continue;
      }
      const page = await response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
      if (prompt === undefined || action === undefined) throw new Error(`unexpected page: ${page}`);
      const form = new URLSearchParams({ prompt, login: account, password: 'any' });
      response = await this.request(new URL(action, idpUrl).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    }
    throw new Error('the provider did not send the browser back');
  }

  /** Opens the callback; resolves with where the gateway sent the browser. */
  async callback(url: string): Promise<string> {
    const response = await this.request(url);
    expect(response.status).toBe(302);
    return response.headers.get('location') ?? '';
  }
}

/** A second process on the server's data directory, as an operator's CLI would open it. */
async function withPlane<T>(work: (plane: ControlPlane) => Promise<T>): Promise<T> {
  const config = loadConfig({
    cwd: dataDir,
    env: { ZT4AI_TEST_OIDC_SECRET: CLIENT_SECRET },
    flags: { dataDir },
  });
  const plane = await openControlPlane(config);
  try {
    return await work(plane);
  } finally {
    await plane.close();
  }
}

async function sessionOf(browser: Browser): Promise<Response> {
  return browser.request(`${server.url}/api/session`);
}

describe('single sign-on through OpenID Connect', () => {
  it('tells the dashboard that single sign-on is offered', async () => {
    const response = await fetch(`${server.url}/api/session/methods`);
    expect(await response.json()).toEqual({ loginLink: true, oidc: true });
  });

  it('an account whose group maps to a role logs in with that role, recorded in the audit log', async () => {
    const browser = new Browser();
    const callback = await browser.toCallback('alice');
    expect(await browser.callback(callback)).toBe('/');
    expect(browser.cookie(server.url, 'zt4ai_session')).toBeDefined();
    const session = await sessionOf(browser);
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({
      operator: 'alice@bank.example',
      roles: ['approver'],
      permissions: ['fleet:read', 'approvals:decide'],
    });
    // The role grants no more than it says: the audit log stays closed.
    expect((await browser.request(`${server.url}/api/audit/search?limit=5`)).status).toBe(403);
    const events = await withPlane((plane) => auditEvents(plane.audit));
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'operator.login',
        operator: 'alice@bank.example',
        method: 'oidc',
        subject: 'alice',
      }),
    );
    // Who manages whom, as `zt4ai operator list` shows it.
    const listed = await runCli(['--data-dir', dataDir, '--json', 'operator', 'list'], {
      cwd: dataDir,
      env: { ZT4AI_TEST_OIDC_SECRET: CLIENT_SECRET },
    });
    expect(JSON.parse(listed.stdout)).toMatchObject({
      operators: expect.arrayContaining([
        { name: 'admin', roles: ['admin'], source: 'local' },
        { name: 'alice@bank.example', roles: ['approver'], source: 'oidc' },
      ]) as unknown,
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'operator.roles',
        actor: 'system:oidc',
        operator: 'alice@bank.example',
        roles: ['approver'],
      }),
    );
  });

  it('an account without a mapped role opens nothing', async () => {
    const browser = new Browser();
    const location = await browser.callback(await browser.toCallback('bob'));
    expect(location).toBe('/#login-error=login-invalid');
    expect(browser.cookie(server.url, 'zt4ai_session')).toBeUndefined();
    expect((await sessionOf(browser)).status).toBe(401);
  });

  it('a callback in a browser that did not start the login opens nothing (login CSRF)', async () => {
    const victim = new Browser();
    const forged = await new Browser().toCallback('alice');
    expect(await victim.callback(forged)).toBe('/#login-error=login-invalid');
    expect((await sessionOf(victim)).status).toBe(401);
  });

  it('a code is good for one login only', async () => {
    const browser = new Browser();
    const callback = await browser.toCallback('alice');
    const started = browser.cookie(server.url, 'zt4ai_oidc');
    expect(await browser.callback(callback)).toBe('/');
    // Replayed with the same state cookie, as an attacker holding both would.
    const response = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `zt4ai_oidc=${started ?? ''}` },
    });
    expect(response.headers.get('location')).toBe('/#login-error=login-invalid');
  });

  it('an account named like a local operator cannot take it over', async () => {
    const browser = new Browser();
    expect(await browser.callback(await browser.toCallback('eve'))).toBe(
      '/#login-error=login-invalid',
    );
    // The first start's local admin is still the one with its login link.
    const admin = await redeemLogin(server.url, await firstStartToken(server.stderr));
    const session = await fetch(`${server.url}/api/session`, { headers: { cookie: admin.cookie } });
    expect(await session.json()).toMatchObject({ operator: 'admin', roles: ['admin'] });
  });
});

describe('single sign-on in a real browser', () => {
  it('the dashboard offers it, the provider logs the operator in, the dashboard opens as them', async () => {
    const chromium = await launchBrowser();
    try {
      const page = await chromium.context.newPage();
      /** From the dashboard through the provider's own (development) login and consent pages. */
      const signInAs = async (account: string): Promise<void> => {
        await page.goto(`${server.url}/`);
        await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
        await page.locator('input[name="login"]').fill(account);
        await page.locator('input[name="password"]').fill('any');
        await page.locator('button[type="submit"]').click();
        await page.locator('button[type="submit"]').click();
      };
      await signInAs('alice');
      await page.getByText('alice@bank.example').waitFor({ timeout: 15_000 });
      expect(new URL(page.url()).origin).toBe(server.url);

      // A refused login comes back to the login page with its reason.
      await chromium.context.clearCookies();
      await signInAs('bob');
      await page.getByText('your account has no zt4ai role').waitFor({ timeout: 15_000 });
    } finally {
      await chromium.close();
    }
  });
});

/** A zt4ai.yaml in `dir` whose operators log in at `issuer`. */
function writeOidcConfig(dir: string, issuer: string): void {
  const oidc = { issuer, clientId: 'zt4ai', clientSecret: 'x', roles: { g: ['viewer'] } };
  writeFileSync(join(dir, 'zt4ai.yaml'), JSON.stringify({ operators: { oidc } }));
}

describe('OidcLogin on its own', () => {
  it('a provider that cannot be reached is oidc-unavailable; asked again only after a pause', async () => {
    // A provider that takes every connection and drops it, counting them.
    let connections = 0;
    const dropping = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const dir = freshDataDir();
    try {
      const { port } = dropping.address() as AddressInfo;
      writeOidcConfig(dir, `http://127.0.0.1:${port}`);
      const config = loadConfig({ cwd: dir, env: {} }).operators.oidc!;
      let clock = 1_000_000;
      const login = new OidcLogin(config, randomBytes(32), () => clock);
      const code = async (): Promise<unknown> =>
        login.start().then(
          () => 'started',
          (e: unknown) => (e instanceof ZtError ? e.code : e),
        );
      expect(await code()).toBe('oidc-unavailable');
      const asked = connections;
      expect(asked).toBeGreaterThan(0);
      // Logins right after answer from memory: the open start route cannot flood the provider.
      clock += OIDC_RETRY_AFTER_MS - 1;
      expect(await code()).toBe('oidc-unavailable');
      expect(connections).toBe(asked);
      clock += 1;
      expect(await code()).toBe('oidc-unavailable');
      expect(connections).toBeGreaterThan(asked);
    } finally {
      dropping.close();
      removeDir(dir);
    }
  });

  it('refuses an http provider that is not on loopback', () => {
    const dir = freshDataDir();
    try {
      writeOidcConfig(dir, 'http://login.bank.example');
      expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/must be https/);
    } finally {
      removeDir(dir);
    }
  });
});

// Last: it stops the provider.
describe('a provider that stops answering', () => {
  it('a login it started comes back as oidc-unavailable, and opens nothing', async () => {
    const browser = new Browser();
    const callback = await browser.toCallback('alice');
    await new Promise<void>((resolve) => {
      idp.close(() => resolve());
      idp.closeAllConnections();
    });
    expect(await browser.callback(callback)).toBe('/#login-error=oidc-unavailable');
    expect((await sessionOf(browser)).status).toBe(401);
  });
});
