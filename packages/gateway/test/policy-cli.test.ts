// `zt4ai policy …` and `zt4ai up` with a policy bundle, end to end through the built CLI: keygen →
// sign → verify (and a tampered bundle), list, diff, offline eval / test / explain, and the gateway
// refusing an unsigned bundle unless started in development mode (which it logs and audits).
import { cpSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_GRANT_REASON } from '../src/policy/policy-set.js';
import {
  type CliResult,
  collect,
  exited,
  freshDataDir,
  jsonLines,
  lines,
  onLines,
  removeDir,
  runCli,
  spawnCli,
  tempDir,
  within,
} from './support/process.js';

const NO_INSERTS = `@id("acme/no-inserts")
@reason("no inserts into the ledger")
@severity("medium")
forbid (principal, action == Action::"tools/call", resource)
when { context.sql.kinds.contains("insert") };
`;
const OLD_RULE = `@id("acme/old-rule")
@reason("old")
forbid (principal, action, resource) when { context.shell.dangerous };
`;
const NEW_RULE = `@id("acme/new-rule")
@reason("new")
forbid (principal, action, resource) when { context.pii.found };
`;

const TEST_CASES = `cases:
  - name: drops are denied by the baseline
    input: { agent: agt_1, action: tools/call, tool: db/query, args: { sql: "DROP TABLE ledger" }, argKinds: { sql: sql } }
    expect: deny
    policyIds: [baseline/destructive-sql]
  - name: inserts are allowed (wrong on purpose)
    input: { agent: agt_1, action: tools/call, tool: db/query, args: { sql: "INSERT INTO ledger VALUES (1)" }, argKinds: { sql: sql } }
    expect: allow
`;

const sqlCall = (id: string, sql: string) => ({
  id,
  agent: 'agt_1',
  action: 'tools/call',
  tool: 'db/query',
  args: { sql },
  argKinds: { sql: 'sql' },
});

/** Input lines for `policy eval`: destructive SQL, benign SQL, metadata egress, malformed, benign. */
const EVAL_LINES: string[] = [
  JSON.stringify(sqlCall('drop', 'DROP TABLE ledger')),
  JSON.stringify(sqlCall('select', 'SELECT id FROM ledger WHERE id = 1')),
  JSON.stringify({
    id: 'metadata',
    agent: 'agt_1',
    action: 'http/request',
    tool: 'http/fetch',
    args: { url: 'http://169.254.169.254/latest/meta-data/' },
    argKinds: { url: 'url' },
  }),
  '{"id": "broken",',
  JSON.stringify({ id: 7, agent: 'agt_2', action: 'tools/call', tool: 'files/list' }),
];

interface EvalOutput {
  id: string | number | null;
  decision: string;
  reasons: string[];
  policyIds: string[];
}

/** The error code a failed command printed (with --json: `{"error": {"code", …}}` on stderr). */
function errorCode(result: CliResult): string {
  const [first] = jsonLines(result.stderr) as Array<{ error?: { code?: string } }>;
  return first?.error?.code ?? `<no coded error: ${result.stderr}>`;
}

describe('zt4ai policy … (built CLI)', () => {
  let work: string;
  const at = (...parts: string[]): string => join(work, ...parts);
  const cli = (args: readonly string[]) => runCli(args, { cwd: work });

  beforeAll(() => {
    work = tempDir('zt4ai-policy-cli-');
    mkdirSync(at('v1', 'tests'), { recursive: true });
    writeFileSync(at('v1', 'acme.cedar'), NO_INSERTS);
    writeFileSync(at('v1', 'old.cedar'), OLD_RULE);
    writeFileSync(at('v1', 'tests', 'cases.yaml'), TEST_CASES);
    mkdirSync(at('v2'));
    writeFileSync(at('v2', 'acme.cedar'), NO_INSERTS.replace('medium', 'high'));
    writeFileSync(at('v2', 'new.cedar'), NEW_RULE);
    writeFileSync(at('lines.jsonl'), `${EVAL_LINES.join('\n')}\n`);
    writeFileSync(
      at('insert.json'),
      JSON.stringify(sqlCall('insert', 'INSERT INTO ledger VALUES (1)')),
    );
  });

  afterAll(() => removeDir(work));

  it('keygen writes a private JWK with mode 0600 and prints the public JWK; it never overwrites', async () => {
    const result = await cli(['policy', 'keygen', '--out', 'signing.jwk']);
    expect(result.code).toBe(0);
    expect(statSync(at('signing.jwk')).mode & 0o777).toBe(0o600);
    const priv = JSON.parse(readFileSync(at('signing.jwk'), 'utf8')) as Record<string, string>;
    const pub = JSON.parse(result.stdout) as Record<string, string>;
    expect(pub).toEqual({ kty: 'OKP', crv: 'Ed25519', x: priv['x'] });
    expect(typeof priv['d']).toBe('string');
    writeFileSync(at('signing.pub.jwk'), result.stdout);

    const again = await cli(['--json', 'policy', 'keygen', '--out', 'signing.jwk']);
    expect(again.code).not.toBe(0);
    expect(readFileSync(at('signing.jwk'), 'utf8')).toBe(`${JSON.stringify(priv)}\n`);
    // An existing file is an operator mistake with a coded error, not an "internal error".
    expect(errorCode(again)).not.toBe('internal');
  });

  it('sign, then verify with the trusted key; a tampered copy fails verification', async () => {
    const signed = await cli([
      '--json',
      'policy',
      'sign',
      '--bundle',
      'v1',
      '--key',
      'signing.jwk',
      '--name',
      'acme',
      '--version',
      '2026.1',
    ]);
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({
      name: 'acme',
      version: '2026.1',
      files: { 'acme.cedar': expect.stringMatching(/^sha256:/), 'old.cedar': expect.any(String) },
    });
    cpSync(at('v1'), at('tampered'), { recursive: true });
    writeFileSync(at('tampered', 'acme.cedar'), NO_INSERTS.replace('forbid', 'permit'));

    const [ok, bad] = await Promise.all([
      cli(['--json', 'policy', 'verify', '--bundle', 'v1', '--trusted-key', 'signing.pub.jwk']),
      cli([
        '--json',
        'policy',
        'verify',
        '--bundle',
        'tampered',
        '--trusted-key',
        'signing.pub.jwk',
      ]),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      valid: true,
      name: 'acme',
      version: '2026.1',
      signedBy: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      policies: 2,
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(errorCode(bad)).toBe('bundle-signature-invalid');
  });

  it('list --bundle baseline --json, and diff between two bundles', async () => {
    const [list, diff] = await Promise.all([
      cli(['--json', 'policy', 'list', '--bundle', 'baseline']),
      cli(['--json', 'policy', 'diff', 'v1', 'v2']),
    ]);
    expect(list.code).toBe(0);
    const { policies } = JSON.parse(list.stdout) as {
      policies: Array<{ id: string; effect: string; reason: string; severity: string }>;
    };
    expect(policies).toContainEqual({
      id: 'baseline/destructive-sql',
      effect: 'forbid',
      reason: expect.stringContaining('destructive SQL'),
      severity: 'high',
    });
    expect(policies).toContainEqual(
      expect.objectContaining({ id: 'baseline/grant-in-force', effect: 'permit' }),
    );
    expect(policies.every((p) => p.id.startsWith('baseline/'))).toBe(true);

    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout)).toEqual({
      added: ['acme/new-rule'],
      removed: ['acme/old-rule'],
      changed: ['acme/no-inserts'],
    });
  });

  it('eval --assume-granted: one line per input, in order; a malformed line is a deny and a non-zero exit', async () => {
    const result = await cli([
      '--json',
      'policy',
      'eval',
      '--bundle',
      'baseline',
      '--assume-granted',
      '--input',
      'lines.jsonl',
    ]);
    const out = jsonLines(result.stdout) as EvalOutput[];
    expect(out.map((o) => Object.keys(o).sort())).toEqual(
      EVAL_LINES.map(() => ['decision', 'id', 'policyIds', 'reasons']),
    );
    expect(out.map((o) => [o.id, o.decision, [...o.policyIds].sort()])).toEqual([
      ['drop', 'deny', ['baseline/destructive-sql']],
      ['select', 'allow', ['baseline/grant-in-force']],
      ['metadata', 'deny', ['baseline/egress-cloud-metadata', 'baseline/egress-destination']],
      [null, 'deny', []],
      [7, 'allow', ['baseline/grant-in-force']],
    ]);
    expect(out[0]?.reasons[0]).toContain('destructive SQL');
    expect(out[3]?.reasons).toEqual([expect.stringMatching(/^line 4: /)]);
    expect(result.code).toBe(2);
    expect(errorCode(result)).toBe('invalid-argument');
  });

  it('eval without --assume-granted: every line is denied; no grant is the reason where no guardrail fired', async () => {
    const result = await cli([
      '--json',
      'policy',
      'eval',
      '--bundle',
      'baseline',
      '--input',
      'lines.jsonl',
    ]);
    const out = jsonLines(result.stdout) as EvalOutput[];
    expect(out).toHaveLength(EVAL_LINES.length);
    expect(out.every((o) => o.decision === 'deny')).toBe(true);
    // Where --assume-granted allowed, the only reason now is the missing grant.
    expect(out[1]).toEqual({
      id: 'select',
      decision: 'deny',
      reasons: [NO_GRANT_REASON],
      policyIds: [],
    });
    expect(out[4]).toEqual({ id: 7, decision: 'deny', reasons: [NO_GRANT_REASON], policyIds: [] });
    // A guardrail's own reason is not masked by the missing grant.
    expect(out[0]?.policyIds).toEqual(['baseline/destructive-sql']);
    expect(result.code).toBe(2);
  });

  it('test --bundle: one case passes, one fails; exit 1 and the failing case is named', async () => {
    const [text, json] = await Promise.all([
      cli(['policy', 'test', '--bundle', 'v1']),
      cli(['--json', 'policy', 'test', '--bundle', 'v1']),
    ]);
    expect(text.code).toBe(1);
    expect(lines(text.stdout)).toEqual([
      'pass  cases.yaml: drops are denied by the baseline',
      'FAIL  cases.yaml: inserts are allowed (wrong on purpose) (expected allow, got deny)',
      '1 passed, 1 failed',
    ]);
    expect(json.code).toBe(1);
    expect(jsonLines(json.stdout)).toEqual([
      {
        file: 'cases.yaml',
        name: 'drops are denied by the baseline',
        passed: true,
        expected: 'deny [baseline/destructive-sql]',
        actual: 'deny [baseline/destructive-sql]',
      },
      {
        file: 'cases.yaml',
        name: 'inserts are allowed (wrong on purpose)',
        passed: false,
        expected: 'allow',
        actual: 'deny',
      },
      { passed: 1, failed: 1 },
    ]);
  });

  it('explain names the deciding policy and the facts that were true', async () => {
    const result = await cli([
      '--json',
      'policy',
      'explain',
      '--bundle',
      'v1',
      '--assume-granted',
      '--input',
      'insert.json',
    ]);
    expect(result.code).toBe(0);
    const explanation = JSON.parse(result.stdout) as {
      decision: string;
      reasons: string[];
      policyIds: string[];
      severity: string;
      facts: Record<string, unknown>;
    };
    expect(explanation).toMatchObject({
      decision: 'deny',
      reasons: ['no inserts into the ledger'],
      policyIds: ['acme/no-inserts'],
      severity: 'medium',
    });
    expect(explanation.facts).toMatchObject({ 'sql.present': true, 'sql.kinds': ['insert'] });
    expect(explanation.facts['sql.destructive']).toBeUndefined();
  });

  it('a never-signed directory of .cedar files is an unsigned bundle: usable offline, refused by up as bundle-unsigned', async () => {
    mkdirSync(at('plain'));
    writeFileSync(at('plain', 'acme.cedar'), NO_INSERTS);
    writeFileSync(at('plain-zt4ai.yaml'), 'policy:\n  bundle: ./plain\n');
    const data = freshDataDir();
    try {
      const [offline, up] = await Promise.all([
        cli([
          '--json',
          'policy',
          'explain',
          '--bundle',
          'plain',
          '--assume-granted',
          '--input',
          'insert.json',
        ]),
        cli(['--json', '--config', 'plain-zt4ai.yaml', 'up', '--port', '0', '--data-dir', data]),
      ]);
      expect.soft(offline.stderr).toBe('');
      expect.soft(offline.code).toBe(0);
      expect.soft(errorCode(up)).toBe('bundle-unsigned');
    } finally {
      removeDir(data);
    }
  });
});

describe('zt4ai up with policy.bundle (built CLI)', () => {
  let work: string;
  let data: string;

  beforeAll(async () => {
    work = tempDir('zt4ai-policy-up-');
    data = freshDataDir();
    // Signed, then the signature removed: a bundle with a manifest but unsigned.
    mkdirSync(join(work, 'bundle'));
    writeFileSync(join(work, 'bundle', 'acme.cedar'), NO_INSERTS);
    writeFileSync(join(work, 'zt4ai.yaml'), 'policy:\n  bundle: ./bundle\n');
    const keygen = await runCli(['policy', 'keygen', '--out', 'k.jwk'], { cwd: work });
    expect(keygen.code).toBe(0);
    const sign = await runCli(
      [
        'policy',
        'sign',
        '--bundle',
        'bundle',
        '--key',
        'k.jwk',
        '--name',
        'acme',
        '--version',
        '7',
      ],
      { cwd: work },
    );
    expect(sign.code).toBe(0);
    unlinkSync(join(work, 'bundle', 'manifest.sig'));
  });

  afterAll(() => {
    removeDir(work);
    removeDir(data);
  });

  it('refuses to start with an unsigned bundle (bundle-unsigned)', async () => {
    const result = await runCli(['--json', 'up', '--port', '0', '--data-dir', data], {
      cwd: work,
    });
    expect(result.code).toBe(1);
    expect(errorCode(result)).toBe('bundle-unsigned');
    expect(result.stdout).not.toContain('Server listening');
  });

  it('starts with --dev-unsigned-policies, warns at level 40, stops on SIGTERM, audits policy.loaded', async () => {
    const child = spawnCli(['up', '--port', '0', '--data-dir', data, '--dev-unsigned-policies'], {
      cwd: work,
    });
    const stderr = collect(child.stderr);
    const logs: Array<Record<string, unknown>> = [];
    const listening = new Promise<void>((resolve, reject) => {
      onLines(child.stdout, (line) => {
        const log = JSON.parse(line) as Record<string, unknown>;
        logs.push(log);
        if (String(log['msg']).startsWith('Server listening at ')) resolve();
      });
      child.on('close', (code) => reject(new Error(`up exited (${code}): ${stderr()}`)));
    });
    try {
      await within(listening, 20_000, 'zt4ai up --dev-unsigned-policies');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    child.kill('SIGTERM');
    const { code } = await within(exited(child), 15_000, 'zt4ai up after SIGTERM');
    expect(code).toBe(0);
    // stderr holds only the console lines for people (the dashboard address and login link).
    const consoleLines = stderr()
      .split('\n')
      .filter((line) => line !== '');
    for (const line of consoleLines) expect(line).toMatch(/^zt4ai: /);
    const warnings = logs.filter((l) => l['level'] === 40).map((l) => String(l['msg']));
    expect(warnings.some((msg) => msg.includes('DEVELOPMENT'))).toBe(true);
    expect(warnings.some((msg) => msg.includes('UNSIGNED'))).toBe(true);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'policies loaded', bundle: 'unsigned' }),
    );

    const tail = await runCli(['--json', 'audit', 'tail', '--data-dir', data], { cwd: work });
    expect(tail.code).toBe(0);
    const loaded = (jsonLines(tail.stdout) as Array<Record<string, unknown>>).filter(
      (e) => e['type'] === 'policy.loaded',
    );
    expect(loaded).toHaveLength(1);
    // The manifest of an unsigned bundle is not trusted: it is recorded as "unsigned".
    expect(loaded[0]).toMatchObject({
      type: 'policy.loaded',
      bundle: 'unsigned',
      version: '0',
      signedBy: '',
      unsigned: true,
    });
    expect(loaded[0]?.['policies']).toEqual(
      expect.arrayContaining(['acme/no-inserts', 'baseline/destructive-sql']),
    );
  });
});
