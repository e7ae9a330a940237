// The identity and grant commands end to end through the built CLI: register, approve, issue,
// verify (with and without a proof), revoke, rotate keys, and grants with operator roles.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, newAgentKey, PROMPT, type TestAgentKey } from './support/identity.js';
import { freshDataDir, removeDir, runCli, STACK_FRAME, tempDir } from './support/process.js';

let dataDir: string;
let cwd: string;
let key: TestAgentKey;
let agentId: string;

const cli = (args: readonly string[], operator = 'alice') =>
  runCli(['--data-dir', dataDir, '--json', '--operator', operator, ...args], { cwd });
const json = (stdout: string): Record<string, unknown> =>
  JSON.parse(stdout.trim()) as Record<string, unknown>;

beforeAll(async () => {
  dataDir = freshDataDir(null);
  cwd = tempDir();
  writeFileSync(
    join(cwd, 'zt4ai.yaml'),
    'tools:\n  - name: db/query\n    argKinds: { sql: sql }\n',
  );
  writeFileSync(
    join(cwd, 'mission.yaml'),
    'name: billing\npurpose: answer billing questions\nallow: { tools: ["db/*"] }\nmaxGrantTtlSeconds: 900\n',
  );
  writeFileSync(join(cwd, 'prompt.json'), JSON.stringify(PROMPT));
  key = await newAgentKey();
  writeFileSync(join(cwd, 'agent.jwk'), JSON.stringify(key.publicJwk));
  const mission = await cli(['mission', 'create', '--file', 'mission.yaml']);
  expect(mission).toMatchObject({ code: 0, stderr: '' });
  const registered = await cli([
    'agent',
    'register',
    '--name',
    'billing-bot',
    '--public-key',
    'agent.jwk',
    '--model',
    `${MODEL.provider}/${MODEL.name}@${MODEL.version}`,
    '--prompt-file',
    'prompt.json',
    '--mission',
    String(json(mission.stdout).id),
    '--owner',
    'alice',
  ]);
  expect(registered).toMatchObject({ code: 0, stderr: '' });
  agentId = String(json(registered.stdout).id);
}, 60_000);
afterAll(() => {
  removeDir(dataDir);
  removeDir(cwd);
});

describe('zt4ai agent, cert and keys', () => {
  it('issues only after approval, then verifies, and refuses a revoked certificate with exit 1', async () => {
    const early = await cli(['cert', 'issue', agentId]);
    expect(early.code).toBe(1);
    expect(JSON.parse(early.stderr).error.code).toBe('agent-not-active');
    expect((await cli(['agent', 'approve-profile', 'billing-bot'])).code).toBe(0);

    const issued = await cli(['cert', 'issue', 'billing-bot', '--ttl', '300']);
    expect(issued).toMatchObject({ code: 0, stderr: '' });
    const token = String(json(issued.stdout).token);
    expect(decodeJwt(token)).toMatchObject({
      sub: `spiffe://zt4ai.local/agent/${agentId}`,
      model: MODEL,
    });

    const valid = await cli(['cert', 'verify', '--token', token]);
    expect(valid.code).toBe(0);
    expect(json(valid.stdout)).toMatchObject({
      valid: true,
      code: 'ok',
      claims: { jti: decodeJwt(token).jti },
    });

    const url = 'http://127.0.0.1:7300/api/identity/whoami';
    const proof = await key.proof({
      method: 'GET',
      url,
      bound: token,
      iat: Math.floor(Date.now() / 1000),
    });
    const withProof = await cli([
      'cert',
      'verify',
      '--token',
      token,
      '--proof',
      proof,
      '--method',
      'GET',
      '--url',
      url,
    ]);
    expect(json(withProof.stdout)).toMatchObject({ valid: true });
    const otherUrl = await cli([
      'cert',
      'verify',
      '--token',
      token,
      '--proof',
      proof,
      '--method',
      'GET',
      '--url',
      `${url}x`,
    ]);
    expect([otherUrl.code, json(otherUrl.stdout).code]).toEqual([1, 'proof-url-mismatch']);

    expect(
      (await cli(['cert', 'revoke', '--jti', String(decodeJwt(token).jti), '--reason', 'test']))
        .code,
    ).toBe(0);
    const revoked = await cli(['cert', 'verify', '--token', token]);
    expect(revoked.code).toBe(1);
    expect(json(revoked.stdout)).toEqual({ valid: false, code: 'revoked', claims: null });
    const garbage = await cli(['cert', 'verify', '--token', 'not.a.jwt']);
    expect([garbage.code, json(garbage.stdout).code]).toEqual([1, 'token-malformed']);
    expect(garbage.stderr).not.toContain(STACK_FRAME);
  });

  it('rotates keys and keeps the retired key in the JWKS', async () => {
    const before = json((await cli(['keys', 'jwks'])).stdout).keys as Array<{ kid: string }>;
    const rotated = json((await cli(['keys', 'rotate'])).stdout);
    const after = json((await cli(['keys', 'jwks'])).stdout).keys as Array<{ kid: string }>;
    expect(after.map((k) => k.kid)).toEqual(expect.arrayContaining([...before.map((k) => k.kid)]));
    expect(after.map((k) => k.kid)).toContain(String(rotated.next));
    const states = (json((await cli(['keys', 'list'])).stdout).keys as Array<{ state: string }>)
      .map((k) => k.state)
      .sort();
    expect(states).toEqual(['current', 'next', 'retired']);
  });

  it('requests and approves grants with operator roles', async () => {
    const auto = await cli([
      'grant',
      'request',
      '--agent',
      'billing-bot',
      '--task',
      'q3',
      '--allow',
      'tools/call:db/query',
      '--max-uses',
      '5',
      '--ttl',
      '300',
    ]);
    expect(json(auto.stdout)).toMatchObject({ status: 'active' });
    const wide = json(
      (
        await cli([
          'grant',
          'request',
          '--agent',
          'billing-bot',
          '--task',
          'all db',
          '--allow',
          'tools/call:db/*',
        ])
      ).stdout,
    );
    expect(wide.status).toBe('pending');
    const notApprover = await cli(['grant', 'approve', String(wide.id), '--reason', 'ok'], 'bob');
    expect(JSON.parse(notApprover.stderr).error.code).toBe('not-an-approver');
    expect((await cli(['operator', 'set', 'bob', '--role', 'approver'])).code).toBe(0);
    expect((await cli(['operator', 'set', 'alice', '--role', 'approver'])).code).toBe(0);
    const self = await cli(['grant', 'approve', String(wide.id), '--reason', 'ok'], 'alice');
    expect(JSON.parse(self.stderr).error.code).toBe('self-approval');
    const approved = await cli(
      ['grant', 'approve', String(wide.id), '--reason', 'ticket 42'],
      'bob',
    );
    expect(json(approved.stdout)).toMatchObject({
      status: 'active',
      decidedBy: 'bob',
      decisionReason: 'ticket 42',
    });
    const tooLong = await cli([
      'grant',
      'request',
      '--agent',
      'billing-bot',
      '--task',
      'x',
      '--allow',
      'tools/call:db/query',
      '--ttl',
      '901',
    ]);
    expect([tooLong.code, JSON.parse(tooLong.stderr).error.code]).toEqual([
      1,
      'grant-ttl-exceeds-mission',
    ]);
  });
});
