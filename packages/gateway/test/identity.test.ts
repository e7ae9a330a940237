// Agent identity on every store driver: registry, missions, issuance, authentication, revocation,
// quarantine, profile changes and key rotation, each with the code it must fail with.
import { VerifyError } from '@zt4ai/verify';
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { ZtError } from '../src/errors.js';
import { type AuditSink, IdentityService } from '../src/identity/index.js';
import type { Store } from '../src/store/index.js';
import { openTestLog } from './support/audit.js';
import { testGuard } from './support/guard.js';
import { newAgentKey, MODEL, PROMPT, type TestAgentKey } from './support/identity.js';
import { cleanupStores, DRIVERS, tempDir } from './support/stores.js';

afterAll(cleanupStores);

const ISSUER = 'https://zt.example.com';
const URL = `${ISSUER}/api/tools/call`;
let clock = new Date('2026-11-26T12:00:00Z');
const now = (): Date => clock;
const seconds = (): number => Math.floor(clock.getTime() / 1000);

class RecordingSink implements AuditSink {
  readonly events: Array<{ type: string } & Record<string, unknown>> = [];
  async append(event: { type: string } & Record<string, unknown>): Promise<number> {
    this.events.push(event);
    return this.events.length - 1;
  }
}

function service(store: Store, audit: AuditSink, masterKey: Buffer): IdentityService {
  const config = loadConfig({ cwd: tempDir(), env: { ZT4AI_ISSUER: ISSUER } }).identity;
  return new IdentityService({ store, audit, masterKey, config, now });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof VerifyError || error instanceof ZtError) return error.code;
  throw new Error(`expected a coded rejection, got ${String(error)}`);
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`identity: ${driver.name}`, () => {
    let store: Store;
    let reopen: () => Promise<Store>;
    let identity: IdentityService;
    let audit: RecordingSink;
    let key: TestAgentKey;
    let agentId: string;
    const masterKey = randomBytes(32);

    beforeAll(async () => {
      ({ store, reopen } = await driver.fresh());
      audit = new RecordingSink();
      identity = service(store, audit, masterKey);
      await identity.start();
      key = await newAgentKey();
      const mission = await identity.createMission(
        {
          name: 'billing',
          purpose: 'answer billing questions',
          allow: { tools: ['db/query'] },
          maxGrantTtlSeconds: 900,
        },
        'op:alice',
      );
      const { agent } = await identity.registerAgent(
        {
          name: 'billing-bot',
          owner: 'alice',
          team: 'finance',
          publicJwk: key.publicJwk,
          model: MODEL,
          prompt: PROMPT,
          mission: mission.id,
        },
        'op:alice',
      );
      agentId = agent.id;
    });
    afterAll(async () => {
      await store.close();
    });

    async function authenticate(
      certificate: string,
      options: { method?: string; url?: string; proofKey?: TestAgentKey } = {},
    ) {
      const proof = await (options.proofKey ?? key).proof({
        method: options.method ?? 'POST',
        url: options.url ?? URL,
        bound: certificate,
        iat: seconds(),
      });
      return identity.authenticator.authenticate({ certificate, proof, method: 'POST', url: URL });
    }

    it('registers agents as pending and refuses to certify them before approval', async () => {
      expect((await identity.agents.get(agentId)).status).toBe('pending');
      expect(await codeOf(identity.issue(agentId, 'op:alice'))).toBe('agent-not-active');
      await identity.approveProfile(agentId, undefined, 'op:bob');
      expect((await identity.agents.get(agentId)).status).toBe('active');
    });

    it('signs missions with the issuer key and binds their digest into certificates', async () => {
      const mission = await identity.missions.get('billing');
      const jwks = createLocalJWKSet(await identity.keys.jwks());
      const { payload, protectedHeader } = await compactVerify(mission.signature, jwks);
      expect(protectedHeader.typ).toBe('mission+jws');
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(mission.manifest);
      const claims = decodeJwt((await identity.issue(agentId, 'op:alice')).token);
      expect(claims.mission).toEqual({ id: mission.id, digest: mission.digest });
    });

    it('issues certificates with the DESIGN §4 claims, bound to the agent key', async () => {
      const issued = await identity.issue(agentId, 'op:alice');
      const verified = await authenticate(issued.token);
      const c = verified.claims;
      expect(c.iss).toBe(ISSUER);
      expect(c.sub).toBe(`spiffe://zt4ai.local/agent/${agentId}`);
      expect(c.aud).toBe(ISSUER);
      expect(c.exp - c.iat).toBe(600);
      expect(c.cnf.jkt).toBe((await identity.agents.get(agentId)).jkt);
      expect(c.agent).toMatchObject({
        id: agentId,
        name: 'billing-bot',
        owner: 'alice',
        version: 1,
      });
      expect(c.model).toEqual(MODEL);
      expect(c.prompt.digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(
        audit.events.some((e) => e.type === 'identity.certificate.issued' && e.jti === issued.jti),
      ).toBe(true);
    });

    it('caps the certificate lifetime at one hour', async () => {
      expect(
        (await identity.issue(agentId, 'op', { ttlSeconds: 3600 })).expiresAt - seconds(),
      ).toBe(3600);
      expect(await codeOf(identity.issue(agentId, 'op', { ttlSeconds: 3601 }))).toBe(
        'invalid-argument',
      );
    });

    it('rejects a proof from another key, for another method or URL, and a replayed proof', async () => {
      const { token } = await identity.issue(agentId, 'op');
      expect(await codeOf(authenticate(token, { proofKey: await newAgentKey() }))).toBe(
        'proof-key-mismatch',
      );
      expect(await codeOf(authenticate(token, { method: 'GET' }))).toBe('proof-method-mismatch');
      expect(await codeOf(authenticate(token, { url: `${ISSUER}/api/other` }))).toBe(
        'proof-url-mismatch',
      );
      const proof = await key.proof({ method: 'POST', url: URL, bound: token, iat: seconds() });
      await identity.authenticator.authenticate({
        certificate: token,
        proof,
        method: 'POST',
        url: URL,
      });
      expect(
        await codeOf(
          identity.authenticator.authenticate({
            certificate: token,
            proof,
            method: 'POST',
            url: URL,
          }),
        ),
      ).toBe('proof-replayed');
    });

    it('vouches for its own results only; the guard accepts those instead of a second proof', async () => {
      const { token } = await identity.issue(agentId, 'op');
      const verified = await authenticate(token);
      expect(identity.authenticator.vouches(verified)).toBe(true);
      // A structurally identical object is not a result of this authenticator.
      const forged = structuredClone(verified);
      expect(identity.authenticator.vouches(forged)).toBe(false);

      const log = await openTestLog(store);
      const started = clock;
      try {
        const guard = await testGuard(log, { authenticator: identity.authenticator });
        const call = {
          agent: { id: agentId },
          action: 'tools/call' as const,
          tool: 'db/query',
          args: { sql: 'SELECT 1' },
        };
        // The same single-use proof, handed on as its verified result: one check, no replay.
        const handed = await guard.decide({ ...call, authenticated: verified });
        expect(handed.decision).toBe('allow');
        await handed.recorded;
        const refused = await guard.decide({ ...call, authenticated: forged });
        expect(refused).toMatchObject({
          decision: 'deny',
          reasons: ['the authentication of the request could not be confirmed'],
        });
        const other = await guard.decide({
          ...call,
          agent: { id: 'agt_other' },
          authenticated: verified,
        });
        expect(other.reasons).toEqual(['the certificate names another agent']);
        const both = await guard.decide({
          ...call,
          authenticated: verified,
          credentials: { certificate: token, proof: 'x', method: 'POST', url: URL },
        });
        expect(both.reasons).toEqual([
          'a request carries credentials or an authentication, not both',
        ]);
        // Only within the handling of its request: 10 s later the result is refused.
        clock = new Date(started.getTime() + 9_999);
        expect(identity.authenticator.vouches(verified)).toBe(true);
        clock = new Date(started.getTime() + 10_000);
        expect(identity.authenticator.vouches(verified)).toBe(false);
        expect((await guard.decide({ ...call, authenticated: verified })).reasons).toEqual([
          'the authentication of the request could not be confirmed',
        ]);
      } finally {
        clock = started;
        await log.close();
      }
    });

    it('revokes by jti on the next call, on this and on another store handle', async () => {
      const other = await reopen();
      const remote = service(other, new RecordingSink(), masterKey);
      const { token, jti } = await identity.issue(agentId, 'op');
      await authenticate(token);
      const remoteProof = await key.proof({
        method: 'POST',
        url: URL,
        bound: token,
        iat: seconds(),
      });
      await remote.authenticator.authenticate({
        certificate: token,
        proof: remoteProof,
        method: 'POST',
        url: URL,
      });
      await identity.revoke({ jti }, 'op', 'test');
      expect(await codeOf(authenticate(token))).toBe('revoked');
      const again = await key.proof({ method: 'POST', url: URL, bound: token, iat: seconds() });
      expect(
        await codeOf(
          remote.authenticator.authenticate({
            certificate: token,
            proof: again,
            method: 'POST',
            url: URL,
          }),
        ),
      ).toBe('revoked');
      await other.close();
    });

    it('revokes every certificate of an agent, while new ones work', async () => {
      const old = await identity.issue(agentId, 'op');
      await identity.revoke({ agent: agentId }, 'op', 'suspected key leak');
      expect(await codeOf(authenticate(old.token))).toBe('revoked');
      const fresh = await identity.issue(agentId, 'op');
      await expect(authenticate(fresh.token)).resolves.toBeDefined();
    });

    it('keeps certificates of a rotated key valid and refuses those of a revoked key', async () => {
      const before = await identity.issue(agentId, 'op');
      const rotated = await identity.rotateKeys('op');
      expect(rotated.retired).toBe(before.kid);
      const after = await identity.issue(agentId, 'op');
      expect(after.kid).toBe(rotated.current);
      await expect(authenticate(before.token)).resolves.toBeDefined();
      await identity.revoke({ kid: rotated.retired }, 'op', 'compromised');
      expect(await codeOf(authenticate(before.token))).toBe('revoked');
      await expect(authenticate(after.token)).resolves.toBeDefined();
      expect((await identity.keys.jwks()).keys.map((k) => k.kid)).not.toContain(rotated.retired);
    });

    it('refuses a certificate after the profile changed, until a new one is issued', async () => {
      const old = await identity.issue(agentId, 'op');
      const pending = await identity.proposeProfile(
        agentId,
        { model: { ...MODEL, version: '2024-11-20' } },
        'op',
      );
      expect(pending.status).toBe('pending');
      await expect(authenticate(old.token)).resolves.toBeDefined(); // pending changes nothing yet
      await identity.approveProfile(agentId, pending.version, 'op:bob');
      expect(await codeOf(authenticate(old.token))).toBe('profile-changed');
      const fresh = await identity.issue(agentId, 'op');
      expect(decodeJwt(fresh.token).model).toMatchObject({ version: '2024-11-20' });
      await expect(authenticate(fresh.token)).resolves.toBeDefined();
    });

    it('turns a mission change into a pending profile', async () => {
      const mission = await identity.missions.get('billing');
      await identity.updateMission(
        mission.id,
        { name: 'billing', purpose: 'answer billing questions, v2' },
        'op',
      );
      const pending = await identity.agents.pendingProfile(agentId);
      expect(pending?.mission).toMatchObject({ id: mission.id, version: 2 });
    });

    it('refuses every call of a quarantined agent and certifies it no more', async () => {
      const { token } = await identity.issue(agentId, 'op');
      await identity.setStatus(agentId, 'quarantined', 'op', 'honeytoken touched');
      expect(await codeOf(authenticate(token))).toBe('agent-not-active');
      expect(await codeOf(identity.issue(agentId, 'op'))).toBe('agent-not-active');
      expect(
        audit.events.some((e) => e.type === 'identity.agent.status' && e.to === 'quarantined'),
      ).toBe(true);
      await identity.setStatus(agentId, 'active', 'op', 'released after review');
    });

    it('rejects expired and not-yet-valid certificates by time', async () => {
      const { token } = await identity.issue(agentId, 'op', { ttlSeconds: 60 });
      const issuedAt = clock;
      clock = new Date(issuedAt.getTime() + 91_000); // past exp + 30 s skew
      expect(await codeOf(authenticate(token))).toBe('expired');
      clock = new Date(issuedAt.getTime() - 31_000); // before nbf - skew
      expect(await codeOf(authenticate(token))).toBe('not-yet-valid');
      clock = issuedAt;
    });

    it('validates registrations: private keys, unknown missions, bad names and duplicates', async () => {
      const base = { owner: 'o', team: 't', model: MODEL, prompt: PROMPT, mission: 'billing' };
      const privateJwk = { ...key.publicJwk, d: 'AAAA' };
      expect(
        await codeOf(identity.registerAgent({ ...base, name: 'x1', publicJwk: privateJwk }, 'op')),
      ).toBe('invalid-argument');
      expect(
        await codeOf(
          identity.registerAgent({ ...base, name: 'x2', publicJwk: { kty: 'RSA' } }, 'op'),
        ),
      ).toBe('invalid-argument');
      expect(
        await codeOf(
          identity.registerAgent(
            { ...base, name: 'x3', publicJwk: key.publicJwk, mission: 'nope' },
            'op',
          ),
        ),
      ).toBe('not-found');
      expect(
        await codeOf(
          identity.registerAgent({ ...base, name: 'bad name!', publicJwk: key.publicJwk }, 'op'),
        ),
      ).toBe('invalid-argument');
      expect(
        await codeOf(
          identity.registerAgent({ ...base, name: 'billing-bot', publicJwk: key.publicJwk }, 'op'),
        ),
      ).toBe('invalid-argument');
      expect(
        await codeOf(identity.createMission({ name: 'm', purpose: 'p', surprise: 1 }, 'op')),
      ).toBe('invalid-argument');
    });
  });
}
