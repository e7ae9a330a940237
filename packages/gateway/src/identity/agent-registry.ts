// The agent registry: identities, their status, and their security profiles. Any change of model,
// prompt configuration or mission creates a *pending* profile; certificates are issued only for the
// approved one.
import { calculateJwkThumbprint } from 'jose';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { AgentRow, AgentStatus, Database, ProfileRow } from '../store/index.js';
import { canonicalDigest, newId } from './canonical-digest.js';
import type { Mission } from './missions.js';
import { type ModelBinding, type PromptConfig, promptDigest } from './security-profile.js';

const publicJwkSchema = z.strictObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'x must be a 32-byte base64url value'),
  kid: z.string().max(200).optional(),
  alg: z.literal('EdDSA').optional(),
  use: z.literal('sig').optional(),
});
export type AgentPublicJwk = z.infer<typeof publicJwkSchema>;

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly team: string;
  readonly publicJwk: AgentPublicJwk;
  readonly jkt: string;
  readonly status: AgentStatus;
  readonly epoch: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Profile {
  readonly agent: string;
  readonly version: number;
  readonly status: ProfileRow['status'];
  readonly model: ModelBinding;
  readonly prompt: PromptConfig;
  readonly promptDigest: string;
  readonly mission: { readonly id: string; readonly version: number; readonly digest: string };
  /** Digest over the whole profile, to tell proposals apart. */
  readonly digest: string;
  readonly createdAt: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
}

export interface RegisterInput {
  readonly name: string;
  readonly owner: string;
  readonly team: string;
  readonly publicJwk: unknown;
  readonly model: ModelBinding;
  readonly prompt: PromptConfig;
  readonly mission: Mission;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** Bounds what drift (agent-presented changes) can pile up for operators to review. */
const MAX_PENDING_PROFILES = 10;

export class AgentRegistry {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** Registers an agent in status `pending` with profile version 1 pending approval. */
  async register(input: RegisterInput): Promise<{ agent: Agent; profile: Profile }> {
    if (!NAME.test(input.name))
      throw new ZtError(
        'invalid-argument',
        'agent name must be 1-100 of A-Z a-z 0-9 _ . - (starting alphanumeric)',
      );
    const publicJwk = parsePublicJwk(input.publicJwk);
    const now = this.#now().toISOString();
    const row: AgentRow = {
      id: newId('agt'),
      name: input.name,
      owner: input.owner,
      team: input.team,
      public_jwk: JSON.stringify(publicJwk),
      jkt: await calculateJwkThumbprint({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x }),
      status: 'pending',
      epoch: 0,
      created_at: now,
      updated_at: now,
    };
    const profile = profileRow(row.id, 1, input.model, input.prompt, input.mission, now);
    await this.#db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('identity_agents')
        .select('id')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (taken !== undefined)
        throw new ZtError('invalid-argument', `an agent named "${input.name}" exists`);
      await trx.insertInto('identity_agents').values(row).execute();
      await trx.insertInto('identity_profiles').values(profile).execute();
    });
    return { agent: toAgent(row), profile: toProfile(profile) };
  }

  /** An agent by id or unique name. */
  async get(idOrName: string): Promise<Agent> {
    const row = await this.#db
      .selectFrom('identity_agents')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('not-found', `no agent "${idOrName}"`);
    return toAgent(row);
  }

  async list(): Promise<Agent[]> {
    return (await this.#db.selectFrom('identity_agents').selectAll().orderBy('name').execute()).map(
      toAgent,
    );
  }

  async profiles(agentId: string): Promise<Profile[]> {
    const rows = await this.#db
      .selectFrom('identity_profiles')
      .selectAll()
      .where('agent', '=', agentId)
      .orderBy('version')
      .execute();
    return rows.map(toProfile);
  }

  /** The approved profile, or undefined while none is approved. */
  async approvedProfile(agentId: string): Promise<Profile | undefined> {
    const row = await this.#db
      .selectFrom('identity_profiles')
      .selectAll()
      .where('agent', '=', agentId)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    return row === undefined ? undefined : toProfile(row);
  }

  /**
   * Records a changed profile as pending (or returns the identical pending one). Nothing changes
   * for issuance until an operator approves it.
   */
  async propose(
    agentId: string,
    change: { model: ModelBinding; prompt: PromptConfig; mission: Mission },
  ): Promise<Profile> {
    const now = this.#now().toISOString();
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('identity_profiles')
        .selectAll()
        .where('agent', '=', agentId)
        .orderBy('version', 'desc')
        .execute();
      const candidate = profileRow(
        agentId,
        (rows[0]?.version ?? 0) + 1,
        change.model,
        change.prompt,
        change.mission,
        now,
      );
      if (rows.filter((r) => r.status === 'pending').length >= MAX_PENDING_PROFILES) {
        throw new ZtError(
          'invalid-argument',
          `the agent already has ${MAX_PENDING_PROFILES} pending profiles`,
        );
      }
      const same = rows.find(
        (r) => r.status === 'pending' && toProfile(r).digest === toProfile(candidate).digest,
      );
      if (same !== undefined) return toProfile(same);
      await trx.insertInto('identity_profiles').values(candidate).execute();
      return toProfile(candidate);
    });
  }

  /**
   * Approves a pending profile: the previously approved one is superseded, and a pending agent
   * becomes active. Returns the approved profile.
   */
  async approve(agentId: string, version: number, approver: string): Promise<Profile> {
    const now = this.#now().toISOString();
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('identity_profiles')
        .selectAll()
        .where('agent', '=', agentId)
        .where('version', '=', version)
        .executeTakeFirst();
      if (row === undefined)
        throw new ZtError('not-found', `agent has no profile version ${version}`);
      if (row.status !== 'pending')
        throw new ZtError(
          'invalid-argument',
          `profile version ${version} is ${row.status}, not pending`,
        );
      await trx
        .updateTable('identity_profiles')
        .set({ status: 'superseded' })
        .where('agent', '=', agentId)
        .where('status', '=', 'approved')
        .execute();
      await trx
        .updateTable('identity_profiles')
        .set({ status: 'approved', decided_by: approver, decided_at: now })
        .where('agent', '=', agentId)
        .where('version', '=', version)
        .execute();
      await trx
        .updateTable('identity_agents')
        .set({ status: 'active', updated_at: now })
        .where('id', '=', agentId)
        .where('status', '=', 'pending')
        .execute();
      return toProfile({ ...row, status: 'approved', decided_by: approver, decided_at: now });
    });
  }

  /**
   * Sends the approved profile back to review (containment): it becomes pending again, so nothing is
   * issued for it until an approver approves it anew. Returns its version, or undefined when none
   * was approved.
   */
  async withdrawApproval(agentId: string): Promise<number | undefined> {
    const now = this.#now().toISOString();
    const row = await this.#db
      .updateTable('identity_profiles')
      .set({ status: 'pending', decided_by: null, decided_at: now })
      .where('agent', '=', agentId)
      .where('status', '=', 'approved')
      .returning('version')
      .executeTakeFirst();
    return row?.version;
  }

  /** The newest pending profile, if any. */
  async pendingProfile(agentId: string): Promise<Profile | undefined> {
    const row = await this.#db
      .selectFrom('identity_profiles')
      .selectAll()
      .where('agent', '=', agentId)
      .where('status', '=', 'pending')
      .orderBy('version', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : toProfile(row);
  }

  /** Changes an agent's status; a retired agent stays retired. */
  async setStatus(agentId: string, status: AgentStatus): Promise<Agent> {
    const agent = await this.get(agentId);
    if (agent.status === 'retired')
      throw new ZtError('invalid-argument', 'a retired agent cannot change status');
    const now = this.#now().toISOString();
    await this.#db
      .updateTable('identity_agents')
      .set({ status, updated_at: now })
      .where('id', '=', agent.id)
      .execute();
    return { ...agent, status, updatedAt: now };
  }

  /** Raises the agent's epoch: every certificate issued before stops verifying. */
  async bumpEpoch(agentId: string): Promise<number> {
    const now = this.#now().toISOString();
    await this.#db
      .updateTable('identity_agents')
      .set((eb) => ({ epoch: eb('epoch', '+', 1), updated_at: now }))
      .where('id', '=', agentId)
      .execute();
    return (await this.get(agentId)).epoch;
  }
}

export function parsePublicJwk(input: unknown): AgentPublicJwk {
  if (typeof input === 'object' && input !== null && 'd' in input) {
    throw new ZtError('invalid-argument', 'that is a private key: register the public key only');
  }
  const result = publicJwkSchema.safeParse(input);
  if (!result.success)
    throw new ZtError(
      'invalid-argument',
      'public key must be an Ed25519 JWK {kty:"OKP", crv:"Ed25519", x}',
    );
  return result.data;
}

function profileRow(
  agent: string,
  version: number,
  model: ModelBinding,
  prompt: PromptConfig,
  mission: Mission,
  now: string,
): ProfileRow {
  return {
    agent,
    version,
    status: 'pending',
    model: JSON.stringify(model),
    prompt: JSON.stringify(prompt),
    prompt_digest: promptDigest(prompt),
    mission_id: mission.id,
    mission_version: mission.version,
    mission_digest: mission.digest,
    created_at: now,
    decided_by: null,
    decided_at: null,
  };
}

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    team: row.team,
    publicJwk: JSON.parse(row.public_jwk) as AgentPublicJwk,
    jkt: row.jkt,
    status: row.status,
    epoch: row.epoch,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toProfile(row: ProfileRow): Profile {
  const model = JSON.parse(row.model) as ModelBinding;
  const mission = { id: row.mission_id, version: row.mission_version, digest: row.mission_digest };
  return {
    agent: row.agent,
    version: row.version,
    status: row.status,
    model,
    prompt: JSON.parse(row.prompt) as PromptConfig,
    promptDigest: row.prompt_digest,
    mission,
    digest: canonicalDigest({ model, prompt: row.prompt_digest, mission }),
    createdAt: row.created_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
  };
}
