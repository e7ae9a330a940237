// The identity routes over HTTP: discovery, JWKS, nonce-bound issuance to agents that prove
// possession of their registered key, and 401/403 answers with their codes.
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpServer } from '../src/api/index.js';
import { loadConfig } from '../src/config/index.js';
import { promptDigest } from '../src/identity/index.js';
import { openControlPlane, type ControlPlane } from '../src/server.js';
import { MODEL, newAgentKey, PROMPT, type TestAgentKey } from './support/identity.js';
import { cleanupStores, tempDir } from './support/stores.js';

const ISSUER = 'http://gateway.test';
const ISSUE_URL = `${ISSUER}/api/identity/certificates`;
let plane: ControlPlane;
let app: ReturnType<typeof buildHttpServer>;
let key: TestAgentKey;
let agentId: string;

beforeAll(async () => {
  const config = loadConfig({ cwd: tempDir(), env: { ZT4AI_ISSUER: ISSUER } });
  plane = await openControlPlane(config);
  app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: ISSUER,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger: pino({ level: 'silent' }),
  });
  key = await newAgentKey();
  const mission = await plane.identity.createMission({ name: 'm', purpose: 'p' }, 'op');
  const { agent } = await plane.identity.registerAgent(
    {
      name: 'bot',
      owner: 'o',
      team: 't',
      publicJwk: key.publicJwk,
      model: MODEL,
      prompt: PROMPT,
      mission: mission.id,
    },
    'op',
  );
  agentId = agent.id;
  await plane.identity.approveProfile(agentId, undefined, 'op');
});
afterAll(async () => {
  await app.close();
  await plane.close();
  await cleanupStores();
});

async function nonce(): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/identity/nonce' });
  expect(response.headers['dpop-nonce']).toBe(response.json().nonce);
  return response.json().nonce as string;
}

async function requestCertificate(
  body: Record<string, unknown>,
  proof?: { nonce?: string; key?: TestAgentKey },
) {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (proof !== undefined) {
    headers.dpop = await (proof.key ?? key).proof({
      method: 'POST',
      url: ISSUE_URL,
      bound: text,
      iat: Math.floor(Date.now() / 1000),
      ...(proof.nonce === undefined ? {} : { nonce: proof.nonce }),
    });
  }
  return app.inject({ method: 'POST', url: '/api/identity/certificates', headers, payload: text });
}

describe('identity over HTTP', () => {
  it('publishes the JWKS and the discovery document', async () => {
    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys).toHaveLength(2);
    expect(
      jwks.keys.every(
        (k: Record<string, unknown>) => k.kty === 'OKP' && k.alg === 'EdDSA' && k.d === undefined,
      ),
    ).toBe(true);
    const discovery = (
      await app.inject({ method: 'GET', url: '/.well-known/zt4ai-configuration' })
    ).json();
    expect(discovery).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      certificate_endpoint: ISSUE_URL,
    });
  });

  it('issues a certificate to an agent that proves possession with a fresh nonce', async () => {
    const body = { agent: 'bot', model: MODEL, prompt: PROMPT, ttlSeconds: 300 };
    const response = await requestCertificate(body, { nonce: await nonce() });
    expect(response.statusCode).toBe(201);
    const claims = decodeJwt(response.json().certificate);
    expect(claims).toMatchObject({ sub: `spiffe://zt4ai.local/agent/${agentId}`, model: MODEL });
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('answers a proof without a valid nonce with 401 use_dpop_nonce and a fresh nonce', async () => {
    const response = await requestCertificate(
      { agent: 'bot', model: MODEL, prompt: PROMPT },
      { nonce: 'A'.repeat(32) },
    );
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('use_dpop_nonce');
    expect(response.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(response.json().error.code).toBe('proof-nonce-invalid');
  });

  it('refuses issuance without a proof, with another key, or for another body', async () => {
    const body = { agent: 'bot', model: MODEL, prompt: PROMPT };
    expect((await requestCertificate(body)).json().error.code).toBe('proof-missing');
    const stranger = await requestCertificate(body, {
      nonce: await nonce(),
      key: await newAgentKey(),
    });
    expect([stranger.statusCode, stranger.json().error.code]).toEqual([401, 'proof-key-mismatch']);
    const text = JSON.stringify(body);
    const proof = await key.proof({
      method: 'POST',
      url: ISSUE_URL,
      bound: text,
      iat: Math.floor(Date.now() / 1000),
      nonce: await nonce(),
    });
    const swapped = await app.inject({
      method: 'POST',
      url: '/api/identity/certificates',
      headers: { 'content-type': 'application/json', dpop: proof },
      payload: JSON.stringify({ ...body, ttlSeconds: 3600 }),
    });
    expect(swapped.json().error.code).toBe('proof-ath-mismatch');
  });

  it('refuses a changed prompt with 403, records it as a pending profile and a drift event', async () => {
    const changed = { ...PROMPT, template: PROMPT.template.replace('Never', 'never') };
    const response = await requestCertificate(
      { agent: 'bot', model: MODEL, prompt: changed },
      { nonce: await nonce() },
    );
    expect([response.statusCode, response.json().error.code]).toEqual([
      403,
      'profile-not-approved',
    ]);
    const pending = await plane.identity.agents.pendingProfile(agentId);
    expect(pending?.promptDigest).toBe(promptDigest(changed));
    expect(
      (await plane.audit.tail(5)).some((e) => e.entry.includes('"type":"identity.drift"')),
    ).toBe(true);
  });

  it('authenticates agent requests and answers failures with 401 and a DPoP challenge', async () => {
    const { token } = await plane.identity.issue(agentId, 'op');
    const proof = await key.proof({
      method: 'GET',
      url: `${ISSUER}/api/identity/whoami`,
      bound: token,
      iat: Math.floor(Date.now() / 1000),
    });
    const ok = await app.inject({
      method: 'GET',
      url: '/api/identity/whoami',
      headers: { authorization: `AgentCert ${token}`, dpop: proof },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().agent.id).toBe(agentId);
    const replay = await app.inject({
      method: 'GET',
      url: '/api/identity/whoami',
      headers: { authorization: `AgentCert ${token}`, dpop: proof },
    });
    expect([replay.statusCode, replay.json().error.code]).toEqual([401, 'proof-replayed']);
    expect(replay.headers['www-authenticate']).toContain('DPoP');
    const bearer = await app.inject({
      method: 'GET',
      url: '/api/identity/whoami',
      headers: { authorization: `Bearer ${token}` },
    });
    expect([bearer.statusCode, bearer.json().error.code]).toEqual([401, 'token-malformed']);
  });

  it('rejects malformed issuance bodies with 400', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/identity/certificates',
      headers: { 'content-type': 'application/json' },
      payload: '{"agent":',
    });
    expect([response.statusCode, response.json().error.code]).toEqual([400, 'invalid-json']);
    const extra = await requestCertificate(
      { agent: 'bot', model: MODEL, prompt: PROMPT, admin: true },
      { nonce: await nonce() },
    );
    expect([extra.statusCode, extra.json().error.code]).toEqual([400, 'invalid-argument']);
  });
});
