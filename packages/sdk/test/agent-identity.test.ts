// End to end against the real control plane: registration with the CLI, issuance, authenticated
// calls, renewal under a controlled clock, profile drift, revocation and quarantine.
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentIdentity, SdkError } from '../src/index.js';
import type { AgentIdentityOptions } from '../src/index.js';
import {
  type ControlPlane,
  freePort,
  startControlPlane,
  writeFile,
} from './support/control-plane.js';

const MODEL = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
const PROMPT = {
  template: 'You are the billing assistant. Today is {{today:date}}.',
  tools: [{ name: 'lookup_invoice', description: 'find an invoice by number' }],
  params: { temperature: 0 },
};

let plane: ControlPlane;
let privateJwk: JWK;
let agentId: string;

/** An identity of the registered agent (same key), with `overrides`. */
function identity(overrides: Partial<AgentIdentityOptions> = {}): Promise<AgentIdentity> {
  return AgentIdentity.create({
    issuer: plane.issuer,
    agent: 'billing-bot',
    key: { privateJwk },
    model: MODEL,
    prompt: PROMPT,
    ...overrides,
  });
}

/** A fetch that counts the certificate requests it sends. */
function countingFetch(): { fetch: typeof fetch; issued: () => number } {
  let count = 0;
  return {
    fetch: (input, init) => {
      if (String(input).endsWith('/api/identity/certificates')) count += 1;
      return fetch(input, init);
    },
    issued: () => count,
  };
}

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

beforeAll(async () => {
  plane = await startControlPlane();
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  privateJwk = await exportJWK(privateKey);
  const registering = await identity();
  const publicKeyFile = writeFile(
    plane.dataDir,
    'agent.jwk',
    JSON.stringify(registering.publicJwk),
  );
  const promptFile = writeFile(plane.dataDir, 'prompt.yaml', JSON.stringify(PROMPT));
  const mission = (await plane.cli([
    'mission',
    'create',
    '--name',
    'billing',
    '--purpose',
    'answer billing questions',
  ])) as { id: string };
  agentId = (
    (await plane.cli([
      'agent',
      'register',
      '--name',
      'billing-bot',
      '--public-key',
      publicKeyFile,
      '--model',
      'openai/gpt-4o@2024-08-06',
      '--prompt-file',
      promptFile,
      '--mission',
      mission.id,
    ])) as { id: string }
  ).id;
  await plane.cli(['agent', 'approve-profile', agentId]);
});

afterAll(async () => {
  await plane?.stop();
});

describe('AgentIdentity against the control plane', () => {
  it('obtains a certificate signed by the issuer, bound to its key, naming its model', async () => {
    const agent = await identity();
    const certificate = await agent.certificate();
    const jwks = (await (await fetch(`${plane.issuer}/.well-known/jwks.json`)).json()) as {
      keys: JWK[];
    };
    const { payload, protectedHeader } = await jwtVerify(certificate, createLocalJWKSet(jwks), {
      issuer: plane.issuer,
      typ: 'agent-cert+jwt',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload['cnf']).toEqual({ jkt: await agent.thumbprint() });
    expect(payload['model']).toEqual(MODEL);
    expect((payload['agent'] as { id: string }).id).toBe(agentId);
    expect(agent.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x });
  });

  it('caches the certificate, and concurrent callers share one issuance request', async () => {
    const counting = countingFetch();
    const agent = await identity({ fetch: counting.fetch });
    const certificates = await Promise.all([
      agent.certificate(),
      agent.certificate(),
      agent.certificate(),
    ]);
    expect(new Set(certificates).size).toBe(1);
    expect(await agent.certificate()).toBe(certificates[0]);
    expect(counting.issued()).toBe(1);
  });

  it('fetch attaches the certificate and a fresh proof: whoami answers with the agent', async () => {
    const agent = await identity();
    for (let call = 0; call < 2; call += 1) {
      // A second call with a reused proof would fail as proof-replayed.
      const response = await agent.fetch(`${plane.issuer}/api/identity/whoami?call=${call}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { agent: { id: string }; sub: string };
      expect(body.agent.id).toBe(agentId);
      expect(body.sub).toMatch(new RegExp(`/agent/${agentId}$`));
    }
  });

  it('without credentials, whoami refuses with a code', async () => {
    const response = await fetch(`${plane.issuer}/api/identity/whoami`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(
      /^(token-malformed|proof-missing)$/,
    );
  });

  it('renews the certificate once less than renewBeforeSeconds remains (controlled clock)', async () => {
    let offsetMs = 0;
    const counting = countingFetch();
    const agent = await identity({
      ttlSeconds: 61,
      renewBeforeSeconds: 60,
      now: () => Date.now() + offsetMs,
      fetch: counting.fetch,
    });
    const first = await agent.certificate();
    expect(await agent.certificate()).toBe(first); // 61 s left: not due
    offsetMs = 2_000; // under 60 s left
    const second = await agent.certificate();
    expect(second).not.toBe(first);
    expect(counting.issued()).toBe(2);
    const response = await agent.fetch(`${plane.issuer}/api/identity/whoami`);
    expect(response.status).toBe(200);
  });

  it('renews and retries once when a gateway reports the certificate revoked', async () => {
    const agent = await identity();
    const before = await agent.certificate();
    await plane.cli(['cert', 'revoke', '--agent', agentId, '--reason', 'sdk test']);
    const response = await agent.fetch(`${plane.issuer}/api/identity/whoami`);
    expect(response.status).toBe(200);
    expect(await agent.certificate()).not.toBe(before);
  });

  it('refuses issuance to an unknown agent: issuance-refused with the server code', async () => {
    const error = await sdkError((await identity({ agent: 'nobody' })).certificate());
    expect(error.code).toBe('issuance-refused');
    expect(error.detail).toEqual({ status: 401, serverCode: 'proof-key-mismatch' });
  });

  it('refuses a key other than the registered one', async () => {
    const stranger = await AgentIdentity.create({
      issuer: plane.issuer,
      agent: 'billing-bot',
      model: MODEL,
      prompt: PROMPT,
    });
    const error = await sdkError(stranger.certificate());
    expect(error.code).toBe('issuance-refused');
    expect(error.detail?.serverCode).toBe('proof-key-mismatch');
  });

  it('reports an unreachable issuer', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const error = await sdkError((await identity({ issuer: closed })).certificate());
    expect(error.code).toBe('issuer-unreachable');
  });

  it('a prompt changed by one character is profile-not-approved and becomes a pending profile', async () => {
    const drifted = await identity({ prompt: { ...PROMPT, template: `${PROMPT.template}!` } });
    const error = await sdkError(drifted.certificate());
    expect(error.code).toBe('profile-not-approved');
    expect(error.detail).toEqual({ status: 403, serverCode: 'profile-not-approved' });
    const shown = (await plane.cli(['agent', 'show', agentId])) as {
      profiles: Array<{ status: string }>;
    };
    expect(shown.profiles.map((p) => p.status)).toContain('pending');
  });

  it('after quarantine the next call is refused, and no new certificate is issued', async () => {
    const agent = await identity();
    expect((await agent.fetch(`${plane.issuer}/api/identity/whoami`)).status).toBe(200);
    await plane.cli(['agent', 'quarantine', agentId, '--reason', 'sdk test']);
    const response = await agent.fetch(`${plane.issuer}/api/identity/whoami`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'agent-not-active',
    );
    const error = await sdkError((await identity()).certificate());
    expect(error.code).toBe('agent-not-active');
  });
});
