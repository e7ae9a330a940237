// Signed policy bundles (DESIGN §6): sign → verify round trip, and every way a bundle is refused —
// unsigned, signed by an untrusted key, a file edited / added / removed after signing, the manifest
// edited, duplicate policy ids — and loadPolicies' development mode for unsigned bundles.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZtError } from '../src/errors.js';
import { baselinePolicies } from '../src/policy/baseline.js';
import { loadPolicies, readTrustedKeys } from '../src/policy/load-policies.js';
import {
  MANIFEST_FILE,
  SIGNATURE_FILE,
  loadSignedBundle,
  loadUnsignedBundle,
  signBundle,
} from '../src/policy/policy-bundle.js';
import { removeDir, tempDir } from './support/process.js';

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A deterministic Ed25519 key pair (JWK) derived from `label`. */
function keyPair(label: string): { privateJwk: JWK; publicJwk: JWK } {
  const seed = createHash('sha256').update(label).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  return { privateJwk, publicJwk };
}

const SIGNER = keyPair('zt4ai bundle signer');
const STRANGER = keyPair('someone else');

const SQL_POLICY = `@id("acme/no-sql-writes")
@reason("no SQL writes")
@severity("high")
forbid (principal, action, resource)
when { context.sql.present && context.sql.kinds.contains("insert") };
`;
const AGENT_POLICY = `@id("acme/ops-agent")
permit (principal == Agent::"ops", action == Action::"tools/call", resource)
when { context.granted };

@id("acme/no-pii")
forbid (principal, action, resource) when { context.pii.found };
`;

function expectCode(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(ZtError);
  expect((error as ZtError).code).toBe(code);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ZtError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expectCode(error, code);
  return error as ZtError;
}

function throwsWith(fn: () => unknown, code: string): ZtError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expectCode(error, code);
  return error as ZtError;
}

describe('policy bundles', () => {
  let dir: string;

  /** A bundle with two files (one in a subfolder) and a tests/ folder that is not part of it. */
  function writeBundle(): void {
    writeFileSync(join(dir, 'sql.cedar'), SQL_POLICY);
    mkdirSync(join(dir, 'agents'));
    writeFileSync(join(dir, 'agents', 'ops.cedar'), AGENT_POLICY);
    mkdirSync(join(dir, 'tests'));
    writeFileSync(join(dir, 'tests', 'ignored.cedar'), 'this is not Cedar and is never read');
    writeFileSync(join(dir, 'README.md'), 'not a policy file');
  }

  const sign = () =>
    signBundle(dir, { name: 'acme', version: '1.2.0', privateJwk: SIGNER.privateJwk });

  beforeEach(() => {
    dir = tempDir('zt4ai-bundle-');
    writeBundle();
  });

  afterEach(() => removeDir(dir));

  it('round trip: sign, then load with the trusted key', async () => {
    const manifest = await sign();
    const sha = (file: string): string =>
      `sha256:${createHash('sha256')
        .update(readFileSync(join(dir, file)))
        .digest('hex')}`;
    expect(manifest).toEqual({
      name: 'acme',
      version: '1.2.0',
      files: { 'agents/ops.cedar': sha('agents/ops.cedar'), 'sql.cedar': sha('sql.cedar') },
    });
    expect(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'))).toEqual(manifest);
    // A compact JWS with the bundle type and the signer's key id.
    const jws = readFileSync(join(dir, SIGNATURE_FILE), 'utf8').trim();
    expect(jws.split('.')).toHaveLength(3);
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString()) as {
      alg: string;
      typ: string;
      kid: string;
    };
    const kid = await calculateJwkThumbprint(SIGNER.publicJwk);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'zt4ai-bundle+jws', kid });

    const bundle = await loadSignedBundle(dir, [SIGNER.publicJwk]);
    expect(bundle.manifest).toEqual(manifest);
    expect(bundle.signedBy).toBe(kid);
    expect(bundle.policies.map((p) => [p.id, p.effect, p.principal])).toEqual([
      ['acme/ops-agent', 'permit', 'Agent::"ops"'],
      ['acme/no-pii', 'forbid', undefined],
      ['acme/no-sql-writes', 'forbid', undefined],
    ]);
    expect(bundle.policies[2]?.annotations).toEqual({
      id: 'acme/no-sql-writes',
      reason: 'no SQL writes',
      severity: 'high',
    });
  });

  it('a policy without @id is named by bundle, file and position (acme/<file>#<n>)', async () => {
    writeFileSync(
      join(dir, 'unnamed.cedar'),
      [
        '@id("acme/named")',
        'forbid (principal, action, resource) when { context.pii.found };',
        'forbid (principal, action, resource) when { context.secrets.found };',
      ].join('\n'),
    );
    await sign();
    const bundle = await loadSignedBundle(dir, [SIGNER.publicJwk]);
    expect(
      bundle.policies.filter((p) => p.text.includes('context.secrets')).map((p) => p.id),
    ).toEqual(['acme/unnamed.cedar#1']);
  });

  it('any trusted key may have signed it: an untrusted key first in the list is skipped', async () => {
    await sign();
    const bundle = await loadSignedBundle(dir, [STRANGER.publicJwk, SIGNER.publicJwk]);
    expect(bundle.signedBy).toBe(await calculateJwkThumbprint(SIGNER.publicJwk));
  });

  it('refuses a bundle without manifest.sig (bundle-unsigned)', async () => {
    await sign();
    unlinkSync(join(dir, SIGNATURE_FILE));
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-unsigned');
  });

  it('refuses a signed bundle whose manifest.json is gone (bundle-invalid)', async () => {
    await sign();
    unlinkSync(join(dir, MANIFEST_FILE));
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-invalid');
  });

  it('refuses a signature by an untrusted key (bundle-signature-invalid)', async () => {
    await signBundle(dir, { name: 'acme', version: '1.2.0', privateJwk: STRANGER.privateJwk });
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-signature-invalid');
    await rejectsWith(loadSignedBundle(dir, []), 'bundle-signature-invalid');
  });

  it('refuses a garbled signature (bundle-signature-invalid)', async () => {
    await sign();
    writeFileSync(join(dir, SIGNATURE_FILE), 'not.a.jws\n');
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-signature-invalid');
  });

  it('refuses a .cedar file edited after signing (bundle-signature-invalid)', async () => {
    await sign();
    writeFileSync(join(dir, 'sql.cedar'), SQL_POLICY.replace('forbid', 'permit'));
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-signature-invalid');
  });

  it('refuses a .cedar file added after signing (bundle-invalid: not in the manifest)', async () => {
    await sign();
    writeFileSync(join(dir, 'agents', 'extra.cedar'), 'permit (principal, action, resource);\n');
    const error = await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-invalid');
    expect(error.message).toContain('agents/extra.cedar');
  });

  it('refuses a bundle with a signed file removed (bundle-invalid)', async () => {
    await sign();
    unlinkSync(join(dir, 'agents', 'ops.cedar'));
    const error = await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-invalid');
    expect(error.message).toContain('agents/ops.cedar');
  });

  it('refuses an edited manifest (bundle-signature-invalid)', async () => {
    const manifest = await sign();
    const edits: Array<Record<string, unknown>> = [
      { ...manifest, version: '1.2.1' },
      { ...manifest, name: 'other' },
      // Dropping a file from the manifest and from the directory.
      { ...manifest, files: { 'sql.cedar': manifest.files['sql.cedar'] } },
    ];
    for (const edited of edits) {
      writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(edited));
      await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-signature-invalid');
    }
    // Re-pointing the digest at an edited file.
    const permissive = SQL_POLICY.replace('forbid', 'permit');
    writeFileSync(join(dir, 'sql.cedar'), permissive);
    const digest = `sha256:${createHash('sha256').update(permissive).digest('hex')}`;
    writeFileSync(
      join(dir, MANIFEST_FILE),
      JSON.stringify({ ...manifest, files: { ...manifest.files, 'sql.cedar': digest } }),
    );
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-signature-invalid');
  });

  it('refuses a manifest that is not JSON or not a manifest (bundle-invalid)', async () => {
    const manifest = await sign();
    writeFileSync(join(dir, MANIFEST_FILE), '{');
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-invalid');
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, extra: true }));
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'bundle-invalid');
  });

  it('refuses duplicate policy ids within a signed bundle (policy-invalid)', async () => {
    writeFileSync(join(dir, 'copy.cedar'), SQL_POLICY);
    await sign();
    const error = await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'policy-invalid');
    expect(error.message).toContain('acme/no-sql-writes');
  });

  it('refuses a bundle policy reusing a baseline id (policy-invalid): a bundle cannot replace one', async () => {
    const baselineId = baselinePolicies()[0]?.id ?? '';
    expect(baselineId).toMatch(/^baseline\//);
    writeFileSync(
      join(dir, 'shadow.cedar'),
      `@id("${baselineId}")\npermit (principal, action, resource);\n`,
    );
    await sign();
    await rejectsWith(
      loadPolicies({ bundleDir: dir, trustedKeys: [SIGNER.publicJwk], allowUnsigned: false }),
      'policy-invalid',
    );
  });

  it('refuses Cedar that does not parse (policy-invalid)', async () => {
    writeFileSync(join(dir, 'broken.cedar'), 'permit (principal, action, resource) when {');
    await sign();
    await rejectsWith(loadSignedBundle(dir, [SIGNER.publicJwk]), 'policy-invalid');
  });

  it('signing needs the private key (invalid-argument)', async () => {
    await rejectsWith(
      signBundle(dir, { name: 'acme', version: '1', privateJwk: SIGNER.publicJwk }),
      'invalid-argument',
    );
  });
});

describe('loadPolicies: baseline plus one bundle', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('zt4ai-bundle-');
    writeFileSync(join(dir, 'sql.cedar'), SQL_POLICY);
  });

  afterEach(() => removeDir(dir));

  it('without a bundle: the baseline alone', async () => {
    const loaded = await loadPolicies({
      bundleDir: undefined,
      trustedKeys: [],
      allowUnsigned: false,
    });
    expect(loaded.bundle).toBeUndefined();
    expect(loaded.unsigned).toBe(false);
    expect(loaded.set.policies.map((p) => p.id)).toEqual(baselinePolicies().map((p) => p.id));
  });

  it('a signed bundle: baseline + bundle, unsigned: false', async () => {
    await signBundle(dir, { name: 'acme', version: '3', privateJwk: SIGNER.privateJwk });
    const loaded = await loadPolicies({
      bundleDir: dir,
      trustedKeys: [SIGNER.publicJwk],
      allowUnsigned: false,
    });
    expect(loaded.unsigned).toBe(false);
    expect(loaded.bundle?.manifest.version).toBe('3');
    expect(loaded.set.policies.map((p) => p.id)).toEqual([
      ...baselinePolicies().map((p) => p.id),
      'acme/no-sql-writes',
    ]);
  });

  it('an unsigned bundle (.cedar files only, never signed) is refused (bundle-unsigned) unless allowUnsigned', async () => {
    await rejectsWith(
      loadPolicies({ bundleDir: dir, trustedKeys: [SIGNER.publicJwk], allowUnsigned: false }),
      'bundle-unsigned',
    );
    const loaded = await loadPolicies({
      bundleDir: dir,
      trustedKeys: [SIGNER.publicJwk],
      allowUnsigned: true,
    });
    expect(loaded.unsigned).toBe(true);
    expect(loaded.bundle?.signedBy).toBeUndefined();
    expect(loaded.set.policies.map((p) => p.id)).toContain('acme/no-sql-writes');
    expect(loadUnsignedBundle(dir).policies.map((p) => p.id)).toEqual(['acme/no-sql-writes']);
  });

  it('a wrongly signed bundle is refused unless allowUnsigned, and then reported unsigned', async () => {
    await signBundle(dir, { name: 'acme', version: '3', privateJwk: STRANGER.privateJwk });
    await rejectsWith(
      loadPolicies({ bundleDir: dir, trustedKeys: [SIGNER.publicJwk], allowUnsigned: false }),
      'bundle-signature-invalid',
    );
    const loaded = await loadPolicies({
      bundleDir: dir,
      trustedKeys: [SIGNER.publicJwk],
      allowUnsigned: true,
    });
    expect(loaded.unsigned).toBe(true);
  });

  it('an unsigned bundle with a manifest (manifest.sig missing) is accepted only in development mode', async () => {
    await signBundle(dir, { name: 'acme', version: '3', privateJwk: SIGNER.privateJwk });
    unlinkSync(join(dir, SIGNATURE_FILE));
    await rejectsWith(
      loadPolicies({ bundleDir: dir, trustedKeys: [SIGNER.publicJwk], allowUnsigned: false }),
      'bundle-unsigned',
    );
    const loaded = await loadPolicies({
      bundleDir: dir,
      trustedKeys: [SIGNER.publicJwk],
      allowUnsigned: true,
    });
    expect(loaded.unsigned).toBe(true);
    expect(loaded.set.policies.map((p) => p.id)).toContain('acme/no-sql-writes');
  });

  it('development mode does not accept policies that do not validate (policy-invalid)', async () => {
    writeFileSync(
      join(dir, 'typo.cedar'),
      'forbid (principal, action, resource) when { context.sql.destructiv };\n',
    );
    // Wrongly signed, so only development mode gets as far as validating the policies.
    await signBundle(dir, { name: 'acme', version: '3', privateJwk: STRANGER.privateJwk });
    await rejectsWith(
      loadPolicies({ bundleDir: dir, trustedKeys: [], allowUnsigned: true }),
      'policy-invalid',
    );
  });

  it('readTrustedKeys accepts a public Ed25519 JWK and refuses a private one', () => {
    const pub = join(dir, 'pub.jwk');
    const priv = join(dir, 'priv.jwk');
    writeFileSync(pub, JSON.stringify(SIGNER.publicJwk));
    writeFileSync(priv, JSON.stringify(SIGNER.privateJwk));
    expect(readTrustedKeys([pub])).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: SIGNER.publicJwk.x }]);
    throwsWith(() => readTrustedKeys([priv]), 'key-file-invalid');
    throwsWith(() => readTrustedKeys([join(dir, 'missing.jwk')]), 'key-file-invalid');
    rmSync(pub);
  });
});
