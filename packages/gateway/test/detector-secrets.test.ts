// Secret detection: one test per provider format (fake values built here, never real keys), the
// entropy rule's positives and negatives, near-misses, bounds, and facts that never leak a secret.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Facts } from '../src/detectors/detector.js';
import {
  collectStrings,
  detectSecrets,
  ENTROPY_RULE,
  type ScannedString,
} from '../src/detectors/secrets.js';
import { ZtError } from '../src/errors.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const BASE62 = UPPER + LOWER + DIGITS;

// Deterministic pseudo-random text (mulberry32), so fake keys look random but tests repeat.
function fake(length: number, alphabet = BASE62, seed = 7): string {
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
  return out;
}

const scan = (value: string, path = 'arg'): ReturnType<typeof detectSecrets> =>
  detectSecrets([{ path, value }]);
const kindsOf = (value: string): readonly string[] => scan(value).kinds;
const b64url = (json: object): string => Buffer.from(JSON.stringify(json)).toString('base64url');

describe('provider formats', () => {
  it('AWS access key id (AKIA and ASIA)', () => {
    expect(kindsOf(`key AKIA${'FAKE' + fake(12, UPPER + DIGITS)} here`)).toEqual([
      'aws-access-key-id',
    ]);
    expect(kindsOf(`ASIA${fake(16, UPPER + DIGITS)}`)).toEqual(['aws-access-key-id']);
  });

  it('AWS secret access key next to its key id in the same call', () => {
    const facts = detectSecrets([
      { path: 'accessKeyId', value: `AKIA${fake(16, UPPER + DIGITS)}` },
      { path: 'credentials.secret', value: fake(40, BASE62 + '/+', 3) },
    ]);
    expect(facts.kinds).toEqual(['aws-access-key-id', 'aws-secret-access-key']);
    expect(facts.paths).toEqual(['accessKeyId', 'credentials.secret']);
    expect(facts.count).toBe(2);
  });

  it('AWS secret access key under its conventional name, without a key id', () => {
    expect(kindsOf(`aws_secret_access_key = ${fake(40, BASE62 + '/+', 5)}`)).toEqual([
      'aws-secret-access-key',
    ]);
  });

  it('a 40-character random string without a key id is only high-entropy', () => {
    expect(kindsOf(fake(40, BASE62, 11))).toEqual(['high-entropy']);
  });

  it('GitHub tokens: ghp_, gho_, ghs_, github_pat_', () => {
    for (const prefix of ['ghp_', 'gho_', 'ghs_', 'ghu_', 'ghr_']) {
      expect(kindsOf(`token ${prefix}${fake(36)}`)).toEqual(['github-token']);
    }
    expect(kindsOf(`github_pat_${fake(22)}_${fake(59, BASE62, 9)}`)).toEqual(['github-token']);
  });

  it('GitLab personal access token glpat-', () => {
    expect(kindsOf(`PRIVATE-TOKEN: glpat-${fake(20)}`)).toEqual(['gitlab-token']);
  });

  it('Slack tokens xoxb-/xoxp-/xoxa-/xoxr- and incoming webhooks', () => {
    for (const kind of ['b', 'p', 'a', 'r']) {
      expect(kindsOf(`xox${kind}-1234567890-${fake(24)}`)).toEqual(['slack-token']);
    }
    const hook = `https://hooks.slack.com/services/T${fake(8, UPPER)}/B${fake(8, UPPER)}/${fake(24)}`;
    expect(kindsOf(hook)).toEqual(['slack-webhook']);
  });

  it('Stripe secret and restricted keys sk_live_/rk_live_', () => {
    expect(kindsOf(`sk_live_${fake(24)}`)).toEqual(['stripe-key']);
    expect(kindsOf(`rk_live_${fake(24)}`)).toEqual(['stripe-key']);
    expect(kindsOf(`sk_test_${fake(24)}`)).toEqual(['stripe-key']);
  });

  it('OpenAI keys sk-proj- and legacy sk-', () => {
    expect(kindsOf(`sk-proj-${fake(48)}`)).toEqual(['openai-key']);
    expect(kindsOf(`sk-${fake(48)}`)).toEqual(['openai-key']);
  });

  it('Anthropic keys sk-ant- are not reported as OpenAI keys', () => {
    expect(kindsOf(`x-api-key: sk-ant-api03-${fake(93)}AA`)).toEqual(['anthropic-key']);
  });

  it('Google API key AIza', () => {
    expect(kindsOf(`?key=AIza${fake(35)}`)).toEqual(['google-api-key']);
  });

  it('PEM private key blocks (PKCS#8, RSA, EC, OpenSSH, encrypted, PGP)', () => {
    for (const label of ['', 'RSA ', 'EC ', 'OPENSSH ', 'ENCRYPTED ', 'DSA ']) {
      const pem = `-----BEGIN ${label}PRIVATE KEY-----\nMIIE${fake(60)}\n-----END ${label}PRIVATE KEY-----`;
      expect(kindsOf(pem)).toEqual(['private-key']);
    }
    expect(kindsOf('-----BEGIN PGP PRIVATE KEY BLOCK-----')).toEqual(['private-key']);
  });

  it('JWTs whose header is a JOSE header', () => {
    const jwt = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'fake', iat: 1 })}.${fake(43)}`;
    expect(kindsOf(`Bearer-less ${jwt}`)).toEqual(['jwt']);
    const unsigned = `${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}.`;
    expect(kindsOf(unsigned)).toEqual(['jwt']);
  });

  it('credential assignments in text: password=, api_key=, JSON-style', () => {
    expect(kindsOf('db_password=hunter2hunter')).toEqual(['credential-assignment']);
    expect(kindsOf('curl -d "api_key=abc123def456"')).toEqual(['credential-assignment']);
    expect(kindsOf('{"client_secret": "s3cr3t-value"}')).toEqual(['credential-assignment']);
    expect(kindsOf('PASSWORD: correcthorse')).toEqual(['credential-assignment']);
  });

  it('credential-named fields in structured arguments', () => {
    const facts = detectSecrets(
      collectStrings({
        user: 'alice',
        password: 'correct horse',
        headers: { 'X-Api-Key': 'k3y-0001' },
      }),
    );
    expect(facts.kinds).toEqual(['credential-assignment']);
    expect(facts.paths).toEqual(['headers.X-Api-Key', 'password']);
  });

  it('credentials in URLs and Authorization headers', () => {
    expect(kindsOf('postgres://app:Sup3rS3cret@db.internal:5432/app')).toEqual(['url-credentials']);
    expect(scan(`Bearer ${fake(32)}`, 'headers.authorization').kinds).toEqual([
      'authorization-header',
    ]);
    expect(kindsOf('Authorization: Basic YWxpY2U6cGFzc3dvcmQ=')).toEqual(['authorization-header']);
  });
});

describe('entropy rule', () => {
  it('reports long random tokens', () => {
    expect(kindsOf(`token=${fake(32)}`)).toContain('high-entropy');
    expect(kindsOf(`upload id ${fake(24, BASE62, 21)} done`)).toEqual(['high-entropy']);
    expect(kindsOf(fake(48, LOWER + DIGITS, 5))).toEqual(['high-entropy']);
  });

  it('does not report English text, identifiers or paths', () => {
    for (const text of [
      'The quarterly numbers were discussed at length in yesterday’s meeting.',
      'getUserByIdentifier2024Version',
      'some_very_long_function_name_v2_2024',
      'node_modules/typescript/lib/lib.es2023.d.ts',
      'Content-Security-Policy-Report-Only-2',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ]) {
      expect(scan(text).found, text).toBe(false);
    }
  });

  it('decision: UUIDs, git SHAs and SHA-256 digests are identifiers, not secrets', () => {
    expect(scan('550e8400-e29b-41d4-a716-446655440000').found).toBe(false);
    expect(scan('commit da39a3ee5e6b4b0d3255bfef95601890afd80709').found).toBe(false);
    expect(scan('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855').found).toBe(
      false,
    );
  });

  it('decision: runs longer than maxLength are encoded data, not keys', () => {
    expect(scan(fake(ENTROPY_RULE.maxLength + 1)).found).toBe(false);
    expect(scan(fake(ENTROPY_RULE.maxLength)).found).toBe(true);
  });
});

describe('near-misses', () => {
  it('truncated or wrong-prefix provider formats are not provider keys', () => {
    expect(scan(`AKIA${'A'.repeat(15)}`).found).toBe(false);
    expect(scan(`AKIAI${'A'.repeat(16)}`).found).toBe(false); // 17 after the prefix
    expect(scan(`ghp_${'a'.repeat(35)}`).found).toBe(false);
    expect(scan(`glpat-${'a'.repeat(19)}`).found).toBe(false);
    expect(scan(`xoxz-${'1'.repeat(20)}`).found).toBe(false);
    expect(scan(`pk_live_${'a'.repeat(24)}`).found).toBe(false); // publishable, not secret
    expect(scan('sk-learn is a library; ask-for-help').found).toBe(false);
    expect(scan(`AIza${'b'.repeat(34)}`).found).toBe(false);
  });

  it('public keys and certificates are not private keys', () => {
    expect(scan('-----BEGIN PUBLIC KEY-----').found).toBe(false);
    expect(scan('-----BEGIN CERTIFICATE-----').found).toBe(false);
  });

  it('a three-part base64url string whose header is not a JOSE header is not a JWT', () => {
    const notJwt = `eyJub3QganNvbg.${b64url({ a: 1 })}.sig`;
    expect(scan(notJwt).kinds).not.toContain('jwt');
  });

  it('placeholders and prose are not credential assignments', () => {
    for (const text of [
      'password=${DB_PASSWORD}',
      'api_key=<your key here>',
      'password: ********',
      'the password is stored in the vault',
      'secret=redacted',
      'https://user@example.com/path',
      'Basic internationalization support',
    ]) {
      expect(scan(text).found, text).toBe(false);
    }
    expect(detectSecrets(collectStrings({ password: '' })).found).toBe(false);
  });
});

describe('facts', () => {
  it('are Cedar-friendly and never contain the secret', () => {
    const secret = `ghp_${fake(36)}`;
    const facts: Facts = detectSecrets(collectStrings({ a: [{ b: `x ${secret} y` }] }));
    expect(facts).toEqual({ found: true, kinds: ['github-token'], paths: ['a[0].b'], count: 1 });
    expect(JSON.stringify(facts)).not.toContain(secret.slice(4));
  });

  it('redact an object key that is itself a secret', () => {
    const secret = `ghp_${fake(36)}`;
    const facts = detectSecrets(collectStrings({ headers: { [secret]: 'x' } }));
    expect(facts.paths).toEqual(['headers.*#key']);
    expect(JSON.stringify(facts)).not.toContain(secret);
  });

  it('are empty for no input', () => {
    expect(detectSecrets([])).toEqual({ found: false, kinds: [], paths: [], count: 0 });
  });

  it('list at most 64 paths but count every finding', () => {
    const values = Array.from({ length: 100 }, (_, i) => ({
      path: `p${i}`,
      value: `AKIA${fake(16, UPPER, i + 1)}`,
    }));
    const facts = detectSecrets(values);
    expect(facts.count).toBe(100);
    expect(facts.paths).toHaveLength(64);
  });
});

describe('collectStrings', () => {
  it('walks nested arguments with paths, keys and numbers', () => {
    expect(collectStrings({ q: 'a', list: ['b', { n: 42 }], 'with space': true })).toEqual([
      { path: 'q#key', value: 'q' },
      { path: 'q', value: 'a' },
      { path: 'list#key', value: 'list' },
      { path: 'list[0]', value: 'b' },
      { path: 'list[1].n#key', value: 'n' },
      { path: 'list[1].n', value: '42' },
      { path: '[#2]#key', value: 'with space' },
    ]);
    expect(collectStrings('plain')).toEqual([{ path: '', value: 'plain' }]);
    expect(collectStrings(null)).toEqual([]);
  });

  it('throws detector-limit beyond the depth bound, also for cycles', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => collectStrings(deep)).toThrow(expect.objectContaining({ code: 'detector-limit' }));
    expect(collectStrings(deep, { maxDepth: 64 })).toHaveLength(1);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => collectStrings(cycle)).toThrow(ZtError);
  });

  it('throws detector-limit beyond the string, node and size bounds', () => {
    const limit = { code: 'detector-limit' };
    expect(() => collectStrings(['a', 'b', 'c'], { maxStrings: 2 })).toThrow(
      expect.objectContaining(limit),
    );
    expect(() => collectStrings('x'.repeat(11), { maxTotalChars: 10 })).toThrow(
      expect.objectContaining(limit),
    );
    expect(() => collectStrings([null, null, null], { maxNodes: 3 })).toThrow(
      expect.objectContaining(limit),
    );
  });

  it('skips values that are not JSON data', () => {
    expect(
      collectStrings({ d: new Date(0), f: () => 1, s: Symbol('s'), m: new Map([['k', 'v']]) }),
    ).toEqual([
      { path: 'd#key', value: 'd' },
      { path: 'f#key', value: 'f' },
      { path: 's#key', value: 's' },
      { path: 'm#key', value: 'm' },
    ]);
  });
});

describe('bounds and misuse', () => {
  it('throws detector-limit for input beyond the total size limit', () => {
    const big: ScannedString[] = [{ path: 'a', value: 'x'.repeat(2 * 1024 * 1024) }];
    expect(() => detectSecrets(big)).toThrow(expect.objectContaining({ code: 'detector-limit' }));
    const many = Array.from({ length: 10_001 }, () => ({ path: 'a', value: '' }));
    expect(() => detectSecrets(many)).toThrow(expect.objectContaining({ code: 'detector-limit' }));
  });

  it('throws TypeError on a malformed argument (misuse, not hostile input)', () => {
    expect(() => detectSecrets([{ path: 'a', value: 1 } as unknown as ScannedString])).toThrow(
      TypeError,
    );
    expect(() => detectSecrets('x' as unknown as ScannedString[])).toThrow(TypeError);
  });

  it('scans a hostile 1 MiB string in linear time', () => {
    for (const unit of ['a', 'AKIA', 'ghp_', 'eyJ.', 'password=', '-----BEGIN ', 'a:/@']) {
      const started = performance.now();
      detectSecrets([{ path: 'a', value: unit.repeat(Math.floor(1_000_000 / unit.length)) }]);
      expect(performance.now() - started, unit).toBeLessThan(2_000);
    }
  });
});

describe('properties', () => {
  it('never throws on arbitrary strings within the bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ path: fc.string(), value: fc.string({ unit: 'binary' }) })),
        (values) => {
          const facts = detectSecrets(values);
          expect(facts.found).toBe(facts.count > 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON except the size limit', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          detectSecrets(collectStrings(value));
        } catch (error) {
          expect(error).toMatchObject({ code: 'detector-limit' });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds a GitHub token anywhere in arbitrary text and never reports it', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.stringMatching(/^[A-Za-z0-9]{36}$/),
        (before, after, body) => {
          const token = `ghp_${body}`;
          const facts = detectSecrets([{ path: 'p', value: `${before} ${token} ${after}` }]);
          expect(facts.kinds).toContain('github-token');
          expect(JSON.stringify(facts)).not.toContain(body);
        },
      ),
      { numRuns: 300 },
    );
  });
});
