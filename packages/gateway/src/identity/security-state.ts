// A per-process snapshot of the security state every verification consults: agent status, epoch
// and approved profile version, revoked certificate ids and issuer keys, and the JWKS. It reloads
// whenever the store's change token moves, so a revocation or quarantine written by any process
// takes effect on the next call.
import type { Store } from '../store/index.js';
import type { JWK } from 'jose';
import type { IssuerKeys, Jwks } from './issuer-keys.js';

export interface AgentState {
  readonly status: string;
  readonly epoch: number;
  /** Version of the approved profile; undefined while none is approved. */
  readonly profileVersion: number | undefined;
}

export interface SecuritySnapshot {
  readonly agents: ReadonlyMap<string, AgentState>;
  readonly revokedJtis: ReadonlySet<string>;
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
    const [agents, profiles, revocations, keys, jwks] = await Promise.all([
      db.selectFrom('identity_agents').select(['id', 'status', 'epoch']).execute(),
      db
        .selectFrom('identity_profiles')
        .select(['agent', 'version'])
        .where('status', '=', 'approved')
        .execute(),
      db.selectFrom('identity_revocations').select(['kind', 'value']).execute(),
      db
        .selectFrom('identity_issuer_keys')
        .select(['kid', 'public_jwk'])
        .where('state', '=', 'revoked')
        .execute(),
      this.#keys.jwks(),
    ]);
    const approved = new Map(profiles.map((p) => [p.agent, p.version]));
    const value: SecuritySnapshot = {
      agents: new Map(
        agents.map((a) => [
          a.id,
          { status: a.status, epoch: a.epoch, profileVersion: approved.get(a.id) },
        ]),
      ),
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
