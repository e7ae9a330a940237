// Which grants of an agent may be in force, kept in memory so that the guard's grant lookup is not a
// store query on every call. The same rule as the security snapshot: an entry is reused only while
// the store's change token is unchanged (every grant transition announces a change, in any process)
// and for at most MAX_AGE_MS, in case a change notification was lost.
//
// What is cached is every active grant that had not expired at load time. Time bounds and use counts
// are checked again at each lookup against the caller's clock; the store's single-statement
// `consume` stays the authority for use-limited grants.
import type { Store } from '../store/index.js';
import type { Grant } from './grant-store.js';

const MAX_AGE_MS = 5000;
const MAX_AGENTS = 10_000;

interface Entry {
  readonly token: string;
  readonly loadedAt: number;
  /** Mutable use counts: this process's own consumes are counted here until the next load. */
  readonly grants: Array<{ grant: Grant; uses: number }>;
}

export class InForceCache {
  readonly #store: Store;
  readonly #load: (agent: string) => Promise<Grant[]>;
  readonly #entries = new Map<string, Entry>();

  /** `load` returns the agent's active grants that have not expired (whatever their uses). */
  constructor(store: Store, load: (agent: string) => Promise<Grant[]>) {
    this.#store = store;
    this.#load = load;
  }

  /** The agent's grants in force at `now`: active, within their time bounds, not used up. */
  async inForce(agent: string, now: Date): Promise<Grant[]> {
    const entry = await this.#entry(agent);
    const at = now.toISOString();
    return entry.grants
      .filter(
        ({ grant, uses }) =>
          grant.notBefore <= at &&
          grant.expiresAt > at &&
          (grant.maxUses === null || uses < grant.maxUses),
      )
      .map(({ grant }) => grant);
  }

  /** This process took one use of a grant (the store confirmed it). */
  used(agent: string, grantId: string): void {
    const cached = this.#entries.get(agent)?.grants.find((g) => g.grant.id === grantId);
    if (cached !== undefined) cached.uses += 1;
  }

  /** Forgets an agent's grants (a use was refused: the cached view was stale). */
  forget(agent: string): void {
    this.#entries.delete(agent);
  }

  async #entry(agent: string): Promise<Entry> {
    const token = this.#store.changeToken();
    const cached = this.#entries.get(agent);
    if (cached?.token === token && Date.now() - cached.loadedAt < MAX_AGE_MS) return cached;
    // Read the token before the load: a change committed during the load moves it, and the next
    // lookup loads again instead of trusting what may predate that change.
    const grants = await this.#load(agent);
    const entry: Entry = {
      token,
      loadedAt: Date.now(),
      grants: grants.map((grant) => ({ grant, uses: grant.uses })),
    };
    this.#entries.delete(agent);
    if (this.#entries.size >= MAX_AGENTS)
      this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(agent, entry);
    return entry;
  }
}
