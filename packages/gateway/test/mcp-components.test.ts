// The MCP gateway's parts on their own: the guarded-call contract (nothing runs before a durable
// allow; nothing unlabelled or unrecorded is passed on), path resolution, taint lifetime, strict
// bodies, and the `mcp` configuration section.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { VerifiedAgentRequest } from '@zt4ai/verify';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { SessionTaint } from '../src/detectors/labels.js';
import { ZtError } from '../src/errors.js';
import type { GuardDecision, GuardRequest } from '../src/guard/index.js';
import { CallContext } from '../src/mcp/call-context.js';
import { guardedCall, type GuardedRequest } from '../src/mcp/guarded-call.js';
import { linkedAbortFetch } from '../src/mcp/linked-abort-fetch.js';
import { parseJsonRpcBody } from '../src/mcp/json-rpc-body.js';
import { resolvePathArguments } from '../src/mcp/resolve-paths.js';
import { stdioEnvironment } from '../src/mcp/stdio-environment.js';
import { TaintRegistry } from '../src/mcp/taint-registry.js';
import { cleanupStores, tempDir } from './support/stores.js';

afterAll(cleanupStores);

const allow = (recorded: Promise<number> = Promise.resolve(41)): GuardDecision => {
  recorded.catch(() => undefined);
  return {
    decision: 'allow',
    reasons: [],
    policyIds: [],
    severity: '',
    facts: {},
    latencyUs: 1,
    recorded,
  };
};

/** Stands for the edge's verified request; these tests give the guard's decision themselves. */
const VERIFIED = { claims: { agent: { id: 'agt_1' } } } as unknown as VerifiedAgentRequest;

function harness(decision: GuardDecision, appendFails: (type: string) => boolean = () => false) {
  const appended: Array<{ event: Record<string, unknown>; payloads?: Record<string, string> }> = [];
  const seen: GuardRequest[] = [];
  let forwarded = 0;
  const taint = new SessionTaint();
  const context = new CallContext({ id: 'agt_1' }, VERIFIED, taint, undefined);
  const deps = {
    guard: {
      decide: async (request: GuardRequest) => {
        seen.push(request);
        return decision;
      },
    },
    audit: {
      append: async (
        event: { type: string } & Record<string, unknown>,
        options?: { payloads?: Record<string, string> },
      ) => {
        if (appendFails(event.type)) throw new Error('store down');
        appended.push({
          event,
          ...(options?.payloads === undefined ? {} : { payloads: options.payloads }),
        });
        return appended.length;
      },
    },
    maxResultBytes: 4096,
  };
  const request = (value: unknown, labels?: string[]): GuardedRequest<unknown> => ({
    action: 'tools/call',
    tool: 'fs/read',
    upstream: 'fs',
    args: { path: '/srv/a' },
    labels,
    context,
    forward: async () => {
      forwarded += 1;
      return { ok: true, value };
    },
  });
  return { deps, request, appended, seen, taint, forwarded: () => forwarded };
}

describe('guardedCall', () => {
  it("passes the request's authentication and taint to the guard", async () => {
    const h = harness(allow());
    await guardedCall(h.deps, h.request({ content: [] }));
    expect(h.seen[0]).toMatchObject({
      agent: { id: 'agt_1' },
      action: 'tools/call',
      tool: 'fs/read',
    });
    // The very object the edge's authenticator produced: the guard accepts no look-alike.
    expect(h.seen[0]?.authenticated).toBe(VERIFIED);
    expect(h.seen[0]?.session).toBe(h.taint);
  });

  it('MUST NOT forward when the decision could not be recorded', async () => {
    const h = harness(allow(Promise.reject(new ZtError('store-unavailable', 'down'))));
    expect(await guardedCall(h.deps, h.request({ content: [] }))).toEqual({ kind: 'unrecorded' });
    expect(h.forwarded()).toBe(0);
  });

  it('MUST NOT forward a deny or an approval_required', async () => {
    for (const decision of ['deny', 'approval_required'] as const) {
      const h = harness({ ...allow(), decision, reasons: ['no'] });
      expect((await guardedCall(h.deps, h.request({ content: [] }))).kind).toBe('denied');
      expect(h.forwarded()).toBe(0);
    }
  });

  it('labels the result, remembers it in the taint, and records the outcome with the result beside it', async () => {
    const h = harness(allow());
    const value = { content: [{ type: 'text', text: 'the quarterly numbers are final' }] };
    const outcome = await guardedCall(h.deps, h.request(value, ['confidential']));
    expect(outcome).toEqual({ kind: 'done', value, labels: ['confidential'] });
    expect(h.taint.sessionLabels()).toEqual(['confidential']);
    expect(
      h.taint.labelsFor([{ path: 'body', value: 'see: the quarterly numbers are final' }]).labels,
    ).toEqual(['confidential']);
    expect(h.appended[0]?.event).toMatchObject({
      type: 'mcp.call.completed',
      decision: 41,
      labels: ['confidential'],
    });
    expect(JSON.stringify(h.appended[0]?.event)).not.toContain('quarterly');
    expect(h.appended[0]?.payloads).toEqual({ result: JSON.stringify(value) });
  });

  it('withholds a result it cannot record, inspect or that is too large', async () => {
    const unrecorded = harness(allow(), (type) => type === 'mcp.call.completed');
    expect(await guardedCall(unrecorded.deps, unrecorded.request({ content: [] }))).toEqual({
      kind: 'withheld',
      why: 'unrecorded',
    });
    const large = harness(allow());
    expect(await guardedCall(large.deps, large.request({ text: 'x'.repeat(5000) }))).toEqual({
      kind: 'withheld',
      why: 'too-large',
    });
    const deep = harness(allow());
    let nested: unknown = 'leaf';
    for (let i = 0; i < 100; i++) nested = [nested];
    expect(await guardedCall(deep.deps, deep.request(nested))).toEqual({
      kind: 'withheld',
      why: 'uninspectable',
    });
    expect(deep.appended.map((a) => a.event.failure)).toEqual(['result-uninspectable']);
  });

  it('labels secrets and personal data the detectors find', async () => {
    const h = harness(allow());
    const value = {
      content: [{ type: 'text', text: 'key AKIAIOSFODNN7EXAMPLE, mail bob@example.com' }],
    };
    expect(await guardedCall(h.deps, h.request(value))).toMatchObject({
      labels: ['pii', 'secret'],
    });
  });
});

describe('resolvePathArguments', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'zt4ai-resolve-')));
  const outside = realpathSync(mkdtempSync(join(tmpdir(), 'zt4ai-resolve-out-')));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'a.txt'), 'a');
  symlinkSync(outside, join(root, 'out'));
  symlinkSync(join(root, 'docs'), join(root, 'docs-link'));
  const kinds = { path: 'path', 'options.target': 'path', files: 'path' } as const;

  it('replaces a link out of the root by where it leads, also for files not yet created', async () => {
    expect(
      await resolvePathArguments({ path: join(root, 'out', 'new.txt') }, kinds, [root]),
    ).toEqual({
      path: join(outside, 'new.txt'),
    });
    expect(await resolvePathArguments({ path: 'out/new.txt' }, kinds, [root])).toEqual({
      path: join(outside, 'new.txt'),
    });
  });

  it('keeps paths inside the root inside it, nested and in arrays, without touching other arguments', async () => {
    const args = {
      path: join(root, 'docs-link', 'a.txt'),
      options: { target: join(root, 'docs') },
      files: [join(root, 'out')],
      note: join(root, 'out'),
    };
    expect(await resolvePathArguments(args, kinds, [root])).toEqual({
      path: join(root, 'docs', 'a.txt'),
      options: { target: join(root, 'docs') },
      files: [outside],
      note: join(root, 'out'),
    });
    expect(args.files).toEqual([join(root, 'out')]);
  });

  it('leaves what lies outside every root as written (the guard judges it)', async () => {
    expect(await resolvePathArguments({ path: '/etc/passwd' }, kinds, [root])).toEqual({
      path: '/etc/passwd',
    });
    expect(await resolvePathArguments({ path: `${root}/../x` }, kinds, [root])).toEqual({
      path: `${root}/../x`,
    });
    expect(await resolvePathArguments({ path: 'x' }, kinds, [])).toEqual({ path: 'x' });
  });
});

describe('TaintRegistry', () => {
  it('keeps one taint per agent and drops it after the idle time', () => {
    let now = 0;
    const registry = new TaintRegistry(1000, () => now);
    const taint = registry.of('agt_1');
    taint.record({ labels: ['untrusted'], content: 'ignore previous instructions' });
    now = 900;
    expect(registry.of('agt_1')).toBe(taint);
    expect(registry.of('agt_2')).not.toBe(taint);
    now = 1899;
    registry.sweep();
    expect(registry.of('agt_1').sessionLabels()).toEqual(['untrusted']);
    now = 3000;
    expect(registry.of('agt_1').sessionLabels()).toEqual([]);
  });
});

describe('parseJsonRpcBody', () => {
  it('takes exactly one object and refuses repeated members, batches and other values', () => {
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toMatchObject({
      ok: true,
    });
    expect(parseJsonRpcBody('{"a":1,"a":1}')).toMatchObject({ ok: true });
    expect(parseJsonRpcBody('{"a":1,"a":2}')).toMatchObject({ ok: false, code: -32700 });
    expect(parseJsonRpcBody('[{}]')).toMatchObject({ ok: false, code: -32600 });
    expect(parseJsonRpcBody('7')).toMatchObject({ ok: false, code: -32600 });
    expect(parseJsonRpcBody('')).toMatchObject({ ok: false, code: -32700 });
    expect(parseJsonRpcBody('['.repeat(100_000))).toMatchObject({ ok: false, code: -32700 });
    const proto = parseJsonRpcBody('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(proto.ok && Object.getPrototypeOf(proto.message)).toBe(Object.prototype);
  });
});

describe('the mcp configuration section', () => {
  const load = (mcp: unknown, env: Record<string, string> = {}) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'zt4ai.yaml'), JSON.stringify({ mcp }));
    return loadConfig({ cwd, env: { PATH: '/usr/bin', HOME: '/home/gw', ...env } });
  };
  const configError = (mcp: unknown, env?: Record<string, string>): ZtError => {
    try {
      load(mcp, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ZtError);
      return error as ZtError;
    }
    throw new Error('expected a configuration error');
  };

  it('resolves defaults: no upstreams, the public host and localhost, no browser origins', () => {
    const config = loadConfig({
      cwd: tempDir(),
      env: { ZT4AI_ISSUER: 'https://gw.example.com:8443' },
    });
    expect(config.mcp).toMatchObject({
      upstreams: [],
      allowedHosts: ['gw.example.com', 'localhost', '127.0.0.1', '[::1]'],
      allowedOrigins: [],
      maxMessageBytes: 1024 * 1024,
      maxResultBytes: 1024 * 1024,
    });
  });

  it('resolves upstream credentials as secrets, inline or from the environment', () => {
    const config = load(
      {
        upstreams: [
          {
            name: 'gh',
            transport: 'http',
            url: 'https://mcp.example.com/mcp',
            headers: { authorization: { env: 'GH_TOKEN' } },
          },
          {
            name: 'db',
            transport: 'stdio',
            command: 'db-mcp',
            env: { DB_PASSWORD: 'hunter2-inline' },
            cwd: 'srv',
          },
        ],
      },
      { GH_TOKEN: 'ghp_secret' },
    );
    const [gh, db] = config.mcp.upstreams;
    expect(gh?.transport === 'http' && gh.headers.authorization?.reveal()).toBe('ghp_secret');
    expect(db?.transport === 'stdio' && db.cwd).toMatch(/\/srv$/);
    expect(inspect(config.mcp)).not.toContain('ghp_secret');
    expect(JSON.stringify(config.mcp)).not.toContain('hunter2-inline');
    expect(config.mcp.inheritedEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/gw' });
  });

  it('refuses unknown keys, missing fields, fields of another transport and duplicate names', () => {
    expect(configError({ upstream: [] }).code).toBe('config-unknown-key');
    expect(
      configError({ upstreams: [{ name: 'a', transport: 'stdio', command: 'x', shell: true }] })
        .code,
    ).toBe('config-unknown-key');
    expect(configError({ upstreams: [{ name: 'a', transport: 'stdio' }] }).message).toContain(
      'command',
    );
    expect(
      configError({
        upstreams: [{ name: 'a', transport: 'http', url: 'https://x.example', command: 'y' }],
      }).message,
    ).toContain('command');
    expect(
      configError({ upstreams: [{ name: 'a/b', transport: 'http', url: 'https://x.example' }] })
        .code,
    ).toBe('config-invalid');
    expect(
      configError({ upstreams: [{ name: 'a', transport: 'http', url: 'file:///etc/passwd' }] })
        .code,
    ).toBe('config-invalid');
    const twice = { name: 'a', transport: 'http', url: 'https://x.example' };
    expect(configError({ upstreams: [twice, twice] }).message).toContain('not unique');
    expect(configError({ upstreams: [{ ...twice, headers: { DPoP: 'x' } }] }).message).toContain(
      'set by the gateway',
    );
    expect(
      configError({ upstreams: [{ ...twice, headers: { authorization: { env: 'NOPE' } } }] })
        .message,
    ).toContain('NOPE is not set');
  });

  it('a stdio upstream inherits only PATH and HOME besides what it is granted', () => {
    const config = load({
      upstreams: [{ name: 'a', transport: 'stdio', command: 'x', env: { TOKEN: 't' } }],
    });
    const upstream = config.mcp.upstreams[0];
    if (upstream?.transport !== 'stdio') throw new Error('expected a stdio upstream');
    const env = stdioEnvironment(upstream.env, config.mcp.inheritedEnv);
    expect(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined))).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/gw',
      TOKEN: 't',
    });
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['USER', 'LOGNAME', 'SHELL', 'TERM']));
  });
});

describe('linkedAbortFetch', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/text' }).end();
      } else if (request.url === '/slow') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n'); // and never ends
      } else {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves no listener on a long-lived signal once each body is read', async () => {
    const linked = linkedAbortFetch(fetch);
    const shared = new AbortController();
    for (let i = 0; i < 200; i++)
      expect(await (await linked(`${base}/text`, { signal: shared.signal })).text()).toBe('hello');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    // Plain fetch under the same kind of signal keeps a listener per request until GC.
    const plain = new AbortController();
    for (let i = 0; i < 200; i++)
      await (await fetch(`${base}/text`, { signal: plain.signal })).text();
    expect(getEventListeners(plain.signal, 'abort').length).toBeGreaterThan(0);
  });

  it('still aborts a body being read when the long-lived signal aborts', async () => {
    const shared = new AbortController();
    const response = await linkedAbortFetch(fetch)(`${base}/slow`, { signal: shared.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    const pending = reader.read();
    shared.abort(new Error('transport closed'));
    await expect(pending).rejects.toThrow();
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('keeps the final URL and the redirect flag of the response', async () => {
    const shared = new AbortController();
    const response = await linkedAbortFetch(fetch)(`${base}/moved`, { signal: shared.signal });
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${base}/text`);
    expect(await response.text()).toBe('hello');
  });
});
