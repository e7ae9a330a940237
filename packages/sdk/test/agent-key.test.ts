// The agent key: given as a JWK, kept in a file (mode 0600), or generated in memory.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentIdentity, SdkError } from '../src/index.js';
import type { KeySource } from '../src/index.js';

// RFC 8037 Appendix A.1: the Ed25519 test key.
const RFC8037_KEY: JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};
// RFC 8037 Appendix A.3: its RFC 7638 thumbprint.
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zt4ai-sdk-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function create(key?: KeySource): Promise<AgentIdentity> {
  return AgentIdentity.create({
    issuer: 'http://127.0.0.1:1',
    agent: 'a',
    ...(key === undefined ? {} : { key }),
    model: { provider: 'p', name: 'n', version: 'v' },
    prompt: { template: 't' },
  });
}

async function keyError(key: KeySource): Promise<SdkError> {
  const error: unknown = await create(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

describe('agent key', () => {
  it('imports a private JWK: the RFC 8037 key has the RFC 8037 thumbprint', async () => {
    const identity = await create({ privateJwk: RFC8037_KEY });
    expect(identity.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x });
    expect(await identity.thumbprint()).toBe(RFC8037_THUMBPRINT);
  });

  it('generates a fresh key in memory when none is given', async () => {
    const [a, b] = await Promise.all([create(), create()]);
    expect(Object.keys(a.publicJwk).sort()).toEqual(['crv', 'kty', 'x']);
    expect(await a.thumbprint()).toBe(await calculateJwkThumbprint(a.publicJwk));
    expect(await a.thumbprint()).not.toBe(await b.thumbprint());
  });

  it('creates a key file with mode 0600 and loads it back to the same thumbprint', async () => {
    const file = join(dir, 'agent.key');
    const created = await create({ file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const loaded = await create({ file });
    expect(await loaded.thumbprint()).toBe(await created.thumbprint());
    expect(loaded.publicJwk).toEqual(created.publicJwk);
  });

  it('concurrent creators of one key file end up with one key', async () => {
    const file = join(dir, 'agent.key');
    const identities = await Promise.all([create({ file }), create({ file }), create({ file })]);
    const thumbprints = await Promise.all(identities.map((i) => i.thumbprint()));
    expect(new Set(thumbprints).size).toBe(1);
  });

  it('refuses a key file others can read: key-file-insecure', async () => {
    const file = join(dir, 'agent.key');
    writeFileSync(file, JSON.stringify(RFC8037_KEY));
    chmodSync(file, 0o644);
    expect((await keyError({ file })).code).toBe('key-file-insecure');
  });

  it('reports a key file that cannot be created: key-file-unreadable', async () => {
    expect((await keyError({ file: join(dir, 'missing', 'agent.key') })).code).toBe(
      'key-file-unreadable',
    );
  });

  it('refuses a key file that is not a JSON key: key-invalid', async () => {
    const file = join(dir, 'agent.key');
    writeFileSync(file, 'PRIVATE KEY', { mode: 0o600 });
    expect((await keyError({ file })).code).toBe('key-invalid');
  });

  it.each([
    ['a public key', { kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x }],
    ['another curve', { ...RFC8037_KEY, crv: 'Ed448' }],
    ['another key type', { ...RFC8037_KEY, kty: 'EC' }],
    ['a short d', { ...RFC8037_KEY, d: 'AAAA' }],
  ])('refuses %s: key-invalid', async (_name, privateJwk) => {
    expect((await keyError({ privateJwk: privateJwk as JWK })).code).toBe('key-invalid');
  });

  it('refuses a JWK whose x is not the public key of its d: key-invalid', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const other = await exportJWK(privateKey);
    expect((await keyError({ privateJwk: { ...RFC8037_KEY, x: other.x as string } })).code).toBe(
      'key-invalid',
    );
  });
});
