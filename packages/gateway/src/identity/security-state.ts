// A per-process snapshot of the security state every verification consults: agent status, epoch
// and approved profile version, revoked certificate ids and issuer keys, the JWKS, and the kill
// switches in force. It reloads whenever the store's change token moves, so a revocation,
// quarantine or kill switch written by any process takes effect on the next call.
import type { Store } from '../store/index.js';
import type { JWK } from 'jose';
import type { IssuerKeys, Jwks } from './issuer-keys.js';

/** The status of an agent that a kill switch stops (its registry status is kept underneath). */
export const HALTED = 'halted';

export interface AgentState {
  /** The status the agent acts under: its registry status, or `halted` under a kill switch. */
  readonly status: string;
  readonly team: string;
  /** Mission of the approved profile ('' while none is approved). */
  readonly mission: string;
  readonly epoch: number;
  /** Version of the approved profile; undefined while none is approved. */
  readonly profileVersion: number | undefined;
}

export interface SecuritySnapshot {
  readonly agents: ReadonlyMap<string, AgentState>;
  readonly revokedJtis: ReadonlySet<string>;
  /** Whether a kill switch in force stops agents of `team` on `mission`. */
  readonly halted: (team: string, mission: string) => boolean;
  readonly revokedKids: ReadonlySet<string>;
  /**
   * Keys certificates are checked against: the public JWKS plus revoked keys, so that a
   * certificate of a revoked key fails as `revoked` rather than as an unknown key.
   */
  readonly verificationKeys: Jwks;
}

/** Even without a change notification, the state is reloaded this often. */
const MAX_SNAPSHOT_AGE_MS = 5000;

export class SecurityState {
  readonly #store: Store;
  readonly #keys: IssuerKeys;
  #snapshot: { token: string; loadedAt: number; value: SecuritySnapshot } | undefined;
  #loading: { token: string; promise: Promise<SecuritySnapshot> } | undefined;

  constructor(store: Store, keys: IssuerKeys) {
    this.#store = store;
    this.#keys = keys;
  }

  /**
   * The current snapshot; reloads from the store when anything may have changed, and at least every
   * MAX_SNAPSHOT_AGE_MS in case a change notification was lost. A load that began under another
   * token is never reused: it may predate the change the new token announces.
   */
  async current(): Promise<SecuritySnapshot> {
    const token = this.#store.changeToken();
    const snapshot = this.#snapshot;
    if (snapshot?.token === token && Date.now() - snapshot.loadedAt < MAX_SNAPSHOT_AGE_MS)
      return snapshot.value;
    if (this.#loading?.token === token) return this.#loading.promise;
    const loading = { token, promise: this.#load(token) };
    this.#loading = loading;
    try {
      return await loading.promise;
    } finally {
      if (this.#loading === loading) this.#loading = undefined;
    }
  }

  async #load(token: string): Promise<SecuritySnapshot> {
    const db = this.#store.db;
    this.#keys.invalidate();
    const [agents, profiles, revocations, keys, jwks, switches] = await Promise.all([
      db.selectFrom('identity_agents').select(['id', 'status', 'epoch', 'team']).execute(),
      db
        .selectFrom('identity_profiles')
        .select(['agent', 'version', 'mission_id'])
        .where('status', '=', 'approved')
        .execute(),
      db.selectFrom('identity_revocations').select(['kind', 'value']).execute(),
      db
        .selectFrom('identity_issuer_keys')
        .select(['kid', 'public_jwk'])
        .where('state', '=', 'revoked')
        .execute(),
      this.#keys.jwks(),
      db
        .selectFrom('kill_switches')
        .select(['scope', 'subject'])
        .where('released_at', 'is', null)
        .execute(),
    ]);
    const approved = new Map(profiles.map((p) => [p.agent, p]));
    const halted = haltTest(switches);
    const value: SecuritySnapshot = {
      agents: new Map(
        agents.map((a) => {
          const profile = approved.get(a.id);
          const mission = profile?.mission_id ?? '';
          const status = halted(a.team, mission) ? HALTED : a.status;
          return [
            a.id,
            { status, team: a.team, mission, epoch: a.epoch, profileVersion: profile?.version },
          ];
        }),
      ),
      halted,
      revokedJtis: new Set(revocations.filter((r) => r.kind === 'jti').map((r) => r.value)),
      revokedKids: new Set([
        ...keys.map((k) => k.kid),
        ...revocations.filter((r) => r.kind === 'kid').map((r) => r.value),
      ]),
      verificationKeys: {
        keys: [
          ...jwks.keys,
          ...keys.map((k) => ({ ...(JSON.parse(k.public_jwk) as JWK), kid: k.kid, alg: 'EdDSA' })),
        ],
      },
    };
    this.#snapshot = { token, loadedAt: Date.now(), value };
    return value;
  }
}

/** Whether a kill switch in force covers an agent of `team` on `mission`. */
function haltTest(
  switches: ReadonlyArray<{ scope: string; subject: string }>,
): (team: string, mission: string) => boolean {
  const all = switches.some((s) => s.scope === 'all');
  const teams = new Set(switches.filter((s) => s.scope === 'team').map((s) => s.subject));
  const missions = new Set(switches.filter((s) => s.scope === 'mission').map((s) => s.subject));
  return (team, mission) => all || teams.has(team) || (mission !== '' && missions.has(mission));
}
