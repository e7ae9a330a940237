// The identity component's face: missions, the agent registry, issuer keys, issuance, revocation
// and request authentication, with every change recorded in the audit log (issue: "Every
// issuance, approval, quarantine and revocation is an audit-log entry").
import {
  MemoryReplayCache,
  type ReplayCache,
  type VerifiedCertificate,
  VerifyError,
  verifyProofOfPossession,
} from '@zt4ai/verify';
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import { ZtError } from '../errors.js';
import type { Store } from '../store/index.js';
import { type Agent, AgentRegistry, type Profile } from './agent-registry.js';
import { AgentAuthenticator } from './agent-authenticator.js';
import { RefusalSummary } from './refusal-summary.js';
import { checkBinding, type ObservedBinding } from './check-binding.js';
import { IssuerKeys } from './issuer-keys.js';
import { type Mission, Missions } from './missions.js';
import { ProofNonces } from './proof-nonce.js';
import { SecurityState } from './security-state.js';
import { StoreReplayCache } from './store-replay-cache.js';
import { type ModelBinding, type PromptConfig, promptDigest } from './security-profile.js';
import { type SignedCertificate, signCertificate } from './sign-certificate.js';

/** Where identity events go: the audit log, through an interface so identity stays independent. */
export interface AuditSink {
  append(event: { type: string } & Record<string, unknown>): Promise<number>;
}

export interface IdentityServiceOptions {
  readonly store: Store;
  readonly audit: AuditSink;
  readonly masterKey: Buffer;
  readonly config: Config['identity'];
  readonly now?: () => Date;
}

export type RevokeTarget =
  { readonly jti: string } | { readonly agent: string } | { readonly kid: string };

/** An issuance request as an agent presents it over HTTP. */
export interface IssuanceRequest {
  readonly proof: string | undefined;
  readonly url: string;
  /** The raw request body; the proof's `ath` is its SHA-256, binding the proof to it. */
  readonly rawBody: string;
  readonly body: {
    agent: string;
    model: ModelBinding;
    prompt: PromptConfig;
    ttlSeconds?: number;
  };
}

const BOUND_PROFILE_CACHE = 10_000;

export class IdentityService {
  readonly missions: Missions;
  readonly agents: AgentRegistry;
  readonly keys: IssuerKeys;
  readonly authenticator: AgentAuthenticator;
  readonly nonces: ProofNonces;
  readonly #store: Store;
  readonly #audit: AuditSink;
  readonly #config: Config['identity'];
  readonly #now: () => Date;
  readonly #issuanceReplay: ReplayCache;
  readonly #state: SecurityState;
  /** Refused authentications, summarized into the audit log. */
  readonly #refusals: RefusalSummary;
  /** Approved profiles by `agent@version` (immutable per version), for binding checks. */
  readonly #boundProfiles = new Map<string, Profile>();

  constructor(options: IdentityServiceOptions) {
    const now = options.now ?? (() => new Date());
    const db = options.store.db;
    this.#store = options.store;
    this.#audit = options.audit;
    this.#config = options.config;
    this.#now = now;
    this.keys = new IssuerKeys(db, options.masterKey, options.config.maxCertificateTtlSeconds, now);
    this.missions = new Missions(db, this.keys, now);
    this.agents = new AgentRegistry(db, now);
    this.nonces = new ProofNonces(options.masterKey, now);
    const seconds = (): number => now().getTime() / 1000;
    this.#issuanceReplay = replayCache(options, seconds);
    this.#state = new SecurityState(options.store, this.keys);
    this.#refusals = new RefusalSummary(
      (count) => this.#record('identity.authentication.refused', 'gateway', { ...count }),
      () => now().getTime(),
    );
    this.authenticator = new AgentAuthenticator(this.#state, {
      issuer: options.config.issuer,
      audience: options.config.audience[0] as string,
      clockSkewSeconds: options.config.clockSkewSeconds,
      replayCache: replayCache(options, seconds),
      now,
      onMisuse: async (misuse) => {
        await this.#record('identity.certificate.misuse', `agent:${misuse.agent}`, {
          agent: misuse.agent,
          jti: misuse.jti,
          code: misuse.code,
        });
      },
      onRefused: (code, url) => this.#refusals.note(code, url),
    });
  }

  /**
   * An agent's status from the live security state (no store round trip while nothing changed);
   * undefined for an unknown agent.
   */
  async agentStatus(agentId: string): Promise<string | undefined> {
    return (await this.#state.current()).agents.get(agentId)?.status;
  }

  /** An agent's team from the live security state; throws `not-found` for an unknown agent. */
  async agentTeam(agentId: string): Promise<string> {
    const agent = (await this.#state.current()).agents.get(agentId);
    if (agent === undefined) throw new ZtError('not-found', `no agent "${agentId}"`);
    return agent.team;
  }

  /** Creates the issuer keys on first start. */
  async start(): Promise<void> {
    await this.keys.ensure();
  }

  /** Before the audit log closes: records the refused authentications still being counted. */
  async stop(): Promise<void> {
    await this.#refusals.flush();
  }

  async createMission(input: unknown, actor: string): Promise<Mission> {
    const mission = await this.missions.create(input);
    await this.#record('identity.mission.created', actor, {
      mission: mission.id,
      version: 1,
      digest: mission.digest,
    });
    return mission;
  }

  /**
   * A new mission version. Every agent whose approved profile uses the mission gets a pending
   * profile with the new version: a mission change is a profile change.
   */
  async updateMission(id: string, input: unknown, actor: string): Promise<Mission> {
    const mission = await this.missions.update(id, input);
    await this.#record('identity.mission.updated', actor, {
      mission: mission.id,
      version: mission.version,
      digest: mission.digest,
    });
    for (const agent of await this.agents.list()) {
      const approved = await this.agents.approvedProfile(agent.id);
      if (approved?.mission.id === mission.id)
        await this.proposeProfile(agent.id, { mission }, actor);
    }
    return mission;
  }

  async registerAgent(
    input: {
      name: string;
      owner: string;
      team: string;
      publicJwk: unknown;
      model: ModelBinding;
      prompt: PromptConfig;
      mission: string;
    },
    actor: string,
  ): Promise<{ agent: Agent; profile: Profile }> {
    const mission = await this.missions.get(input.mission);
    const result = await this.agents.register({ ...input, mission });
    await this.#record('identity.agent.registered', actor, {
      agent: result.agent.id,
      name: result.agent.name,
      profileVersion: result.profile.version,
      profileDigest: result.profile.digest,
    });
    return result;
  }

  /** Records a changed model, prompt or mission as a pending profile for an operator to approve. */
  async proposeProfile(
    agentRef: string,
    change: { model?: ModelBinding; prompt?: PromptConfig; mission?: Mission },
    actor: string,
  ): Promise<Profile> {
    const agent = await this.agents.get(agentRef);
    const base =
      (await this.agents.approvedProfile(agent.id)) ?? (await this.agents.pendingProfile(agent.id));
    if (base === undefined) throw new ZtError('not-found', 'agent has no profile');
    const mission =
      change.mission ?? (await this.missions.get(base.mission.id, base.mission.version));
    const profile = await this.agents.propose(agent.id, {
      model: change.model ?? base.model,
      prompt: change.prompt ?? base.prompt,
      mission,
    });
    await this.#record('identity.profile.proposed', actor, {
      agent: agent.id,
      profileVersion: profile.version,
      profileDigest: profile.digest,
    });
    return profile;
  }

  /** Approves a pending profile (the newest when `version` is omitted); certificates follow it. */
  async approveProfile(
    agentRef: string,
    version: number | undefined,
    actor: string,
  ): Promise<Profile> {
    const agent = await this.agents.get(agentRef);
    const pendings = (await this.agents.profiles(agent.id)).filter((p) => p.status === 'pending');
    if (version === undefined && pendings.length > 1) {
      // An agent can propose profiles itself (drift); never let one slip in ahead of the reviewed one.
      throw new ZtError(
        'invalid-argument',
        `${pendings.length} profiles are pending: name the reviewed one with --version`,
      );
    }
    const pending = version ?? pendings[0]?.version;
    if (pending === undefined) throw new ZtError('not-found', 'agent has no pending profile');
    const profile = await this.agents.approve(agent.id, pending, actor);
    await this.#changed('identity.profile.approved', actor, {
      agent: agent.id,
      profileVersion: profile.version,
      profileDigest: profile.digest,
    });
    return profile;
  }

  /** Quarantine: every call of the agent is refused from its next one, on every gateway. */
  async setStatus(
    agentRef: string,
    status: 'active' | 'quarantined' | 'retired',
    actor: string,
    reason = '',
  ): Promise<Agent> {
    const before = await this.agents.get(agentRef);
    if (status === 'active' && before.status === 'quarantined') await this.#refuseIfHeld(before.id);
    if (status === 'active' && before.status === 'pending') {
      throw new ZtError(
        'invalid-argument',
        'a pending agent becomes active by approving its profile',
      );
    }
    const agent = await this.agents.setStatus(before.id, status);
    await this.#changed('identity.agent.status', actor, {
      agent: agent.id,
      from: before.status,
      to: status,
      reason,
    });
    return agent;
  }

  /**
   * Containment: the approved profile goes back to review and every certificate of the agent stops
   * verifying; nothing is issued until an approver approves the profile again.
   */
  async requireReapproval(agentRef: string, actor: string, reason = ''): Promise<void> {
    const agent = await this.agents.get(agentRef);
    const version = await this.agents.withdrawApproval(agent.id);
    const epoch = await this.agents.bumpEpoch(agent.id);
    await this.#changed('identity.profile.withdrawn', actor, {
      agent: agent.id,
      profileVersion: version ?? null,
      epoch,
      reason,
    });
  }

  /** Issues a certificate for an agent's approved profile (operator path: CLI). */
  async issue(
    agentRef: string,
    actor: string,
    options: { ttlSeconds?: number; actingFor?: string } = {},
  ): Promise<SignedCertificate> {
    const agent = await this.agents.get(agentRef);
    return this.#issueFor(agent, actor, options);
  }

  /**
   * The agent path: the proof (signed with the agent's registered key, for this URL, with a fresh
   * server nonce, `ath` over the body) shows possession; the presented model and prompt must equal
   * the approved profile, else the change is recorded as a pending profile and issuance refused.
   */
  async issueToAgent(request: IssuanceRequest): Promise<SignedCertificate> {
    const agent = await this.agents.get(request.body.agent).catch(() => {
      throw new VerifyError('proof-key-mismatch');
    });
    if (request.proof === undefined || request.proof === '') throw new VerifyError('proof-missing');
    await verifyProofOfPossession(request.proof, {
      method: 'POST',
      url: request.url,
      certificate: request.rawBody,
      jkt: agent.jkt,
      replayCache: this.#issuanceReplay,
      now: () => this.#now().getTime() / 1000,
      maxAgeSeconds: this.#config.proofMaxAgeSeconds,
      expectedNonce: (nonce) => this.nonces.accepts(nonce),
    });
    // The live status: a kill switch halts an agent whose registry status is still active.
    const status = agent.status === 'active' ? await this.agentStatus(agent.id) : agent.status;
    if (status !== 'active') {
      throw new ZtError(
        'agent-not-active',
        `agent is ${status ?? agent.status}; certificates are issued to active agents only`,
      );
    }
    const approved = await this.agents.approvedProfile(agent.id);
    const presentedDigest = promptDigest(request.body.prompt);
    if (
      approved === undefined ||
      !sameModel(approved.model, request.body.model) ||
      approved.promptDigest !== presentedDigest
    ) {
      if (agent.status === 'active' || agent.status === 'pending') {
        const mission =
          approved === undefined
            ? undefined
            : await this.missions.get(approved.mission.id, approved.mission.version);
        if (mission !== undefined)
          await this.proposeProfile(
            agent.id,
            { model: request.body.model, prompt: request.body.prompt, mission },
            `agent:${agent.id}`,
          );
      }
      await this.#record('identity.drift', `agent:${agent.id}`, {
        agent: agent.id,
        presentedPromptDigest: presentedDigest,
        model: request.body.model,
      });
      throw new ZtError(
        'profile-not-approved',
        'the presented model or prompt differs from the approved profile; it awaits approval',
      );
    }
    const options = {
      ...(request.body.ttlSeconds === undefined ? {} : { ttlSeconds: request.body.ttlSeconds }),
    };
    return this.#issueFor(agent, `agent:${agent.id}`, options);
  }

  async revoke(target: RevokeTarget, actor: string, reason = ''): Promise<void> {
    const now = this.#now();
    const until = new Date(
      now.getTime() + this.#config.maxCertificateTtlSeconds * 1000,
    ).toISOString();
    if ('agent' in target) {
      const agent = await this.agents.get(target.agent);
      const epoch = await this.agents.bumpEpoch(agent.id);
      await this.#changed('identity.certificate.revoked', actor, {
        agent: agent.id,
        epoch,
        reason,
      });
      return;
    }
    if ('kid' in target) {
      await this.keys.revoke(target.kid);
      await this.#changed('identity.key.revoked', actor, { kid: target.kid, reason });
      return;
    }
    await this.#store.db
      .insertInto('identity_revocations')
      .values({
        kind: 'jti',
        value: target.jti,
        reason,
        created_at: now.toISOString(),
        expires_at: until,
      })
      .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
      .execute();
    await this.#changed('identity.certificate.revoked', actor, { jti: target.jti, reason });
  }

  async rotateKeys(actor: string): Promise<{ retired: string; current: string; next: string }> {
    const result = await this.keys.rotate();
    await this.#changed('identity.key.rotated', actor, result);
    return result;
  }

  /**
   * Step 2 of the guard: the request's observed model and prompt against the approved profile the
   * certificate was issued for. Drift is also an audit event.
   */
  async checkBinding(
    certificate: VerifiedCertificate,
    observed: ObservedBinding,
  ): Promise<{ ok: true } | { ok: false; field: string }> {
    const profile = await this.#boundProfile(
      certificate.claims.agent.id,
      certificate.claims.agent.version,
    );
    if (profile === undefined) return { ok: false, field: 'profile' };
    const result = checkBinding(certificate.claims, profile, observed);
    if (result.ok) return result;
    await this.#record('identity.drift', `agent:${certificate.claims.agent.id}`, {
      agent: certificate.claims.agent.id,
      field: result.drift.field,
      jti: certificate.claims.jti,
    });
    return { ok: false, field: result.drift.field };
  }

  /**
   * The approved profile of `agent` if it is `version`, by the live security state. A profile's
   * content never changes for a given version (a change is a new version), so each is read once.
   */
  async #boundProfile(agent: string, version: number): Promise<Profile | undefined> {
    if ((await this.#state.current()).agents.get(agent)?.profileVersion !== version)
      return undefined;
    const key = `${agent}@${version}`;
    const cached = this.#boundProfiles.get(key);
    if (cached !== undefined) return cached;
    const profile = await this.agents.approvedProfile(agent);
    if (profile?.version !== version) return undefined;
    if (this.#boundProfiles.size >= BOUND_PROFILE_CACHE)
      this.#boundProfiles.delete(this.#boundProfiles.keys().next().value as string);
    this.#boundProfiles.set(key, profile);
    return profile;
  }

  /** The discovery document (`/.well-known/zt4ai-configuration`). */
  discovery(): Record<string, unknown> {
    const issuer = this.#config.issuer;
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      certificate_endpoint: `${issuer}/api/identity/certificates`,
      nonce_endpoint: `${issuer}/api/identity/nonce`,
      audience: this.#config.audience,
      trust_domain: this.#config.trustDomain,
      certificate_types_supported: ['agent-cert+jwt'],
      signing_alg_values_supported: ['EdDSA'],
      dpop_signing_alg_values_supported: ['EdDSA'],
      certificate_ttl_seconds: {
        default: this.#config.certificateTtlSeconds,
        max: this.#config.maxCertificateTtlSeconds,
      },
    };
  }

  async #issueFor(
    agent: Agent,
    actor: string,
    options: { ttlSeconds?: number; actingFor?: string },
  ): Promise<SignedCertificate> {
    if (agent.status !== 'active') {
      throw new ZtError(
        'agent-not-active',
        `agent is ${agent.status}; certificates are issued to active agents only`,
      );
    }
    const profile = await this.agents.approvedProfile(agent.id);
    if (profile === undefined) {
      throw new ZtError('profile-not-approved', 'agent has no approved profile');
    }
    if ((await this.#state.current()).halted(agent.team, profile.mission.id)) {
      throw new ZtError('agent-not-active', 'a kill switch stops this agent; nothing is issued');
    }
    const ttl = options.ttlSeconds ?? this.#config.certificateTtlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > this.#config.maxCertificateTtlSeconds) {
      throw new ZtError(
        'invalid-argument',
        `certificate TTL must be 1 to ${this.#config.maxCertificateTtlSeconds} seconds`,
      );
    }
    const certificate = await signCertificate(
      {
        agent,
        profile,
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        trustDomain: this.#config.trustDomain,
        ttlSeconds: ttl,
        now: this.#now(),
        ...(options.actingFor === undefined ? {} : { actingFor: options.actingFor }),
      },
      await this.keys.signer(),
    );
    await this.#record('identity.certificate.issued', actor, {
      agent: agent.id,
      jti: certificate.jti,
      kid: certificate.kid,
      exp: certificate.expiresAt,
      profileVersion: profile.version,
      tokenDigest: createHash('sha256').update(certificate.token).digest('base64url'),
    });
    return certificate;
  }

  /** A quarantine that containment imposed ends only by releasing its incident (approver + reason). */
  async #refuseIfHeld(agent: string): Promise<void> {
    const held = await this.#store.db
      .selectFrom('incidents')
      .select('id')
      .where('agent', '=', agent)
      .where('status', '=', 'open')
      .where('quarantined', '=', 1)
      .executeTakeFirst();
    if (held !== undefined)
      throw new ZtError(
        'incident-open',
        `incident ${held.id} holds this agent in quarantine: release the incident (an approver, with a reason)`,
      );
  }

  async #record(type: string, actor: string, fields: Record<string, unknown>): Promise<void> {
    await this.#audit.append({ type, actor, ...fields });
  }

  /** Records a security-state change and tells every process sharing the store. */
  async #changed(type: string, actor: string, fields: Record<string, unknown>): Promise<void> {
    await this.#store.announceChange();
    await this.#record(type, actor, fields);
  }
}

function sameModel(a: ModelBinding, b: ModelBinding): boolean {
  return (
    a.provider === b.provider &&
    a.name === b.name &&
    a.version === b.version &&
    a.digest === b.digest
  );
}

/** Where this service remembers proof jtis: the store (every process on it) or its own memory. */
function replayCache(
  options: Pick<IdentityServiceOptions, 'config' | 'store'>,
  seconds: () => number,
): ReplayCache {
  return options.config.proofReplay === 'store'
    ? new StoreReplayCache(options.store, seconds)
    : new MemoryReplayCache({ now: seconds });
}
