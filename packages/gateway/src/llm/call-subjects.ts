// Who a call is charged to beyond the agent: its team, its mission's budget and its grant's budget.
// The team comes from the security snapshot; the mission budget is kept until the store's change
// token moves (or 5 s pass), a grant's budget for good (it is fixed at request).
import type { LlmBudgetPeriod } from '../config/index.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';

const MAX_AGE_MS = 5000;
const MAX_ENTRIES = 10_000;

interface Cached<T> {
  readonly value: T;
  readonly token: string;
  readonly at: number;
}

export type MissionBudget =
  { limit: number; currency: string; period: LlmBudgetPeriod } | undefined;
export type GrantBudget = { limit: number; currency: string } | undefined;

export class CallSubjects {
  readonly #identity: Pick<IdentityService, 'agentTeam' | 'missions'>;
  readonly #grants: Pick<GrantService, 'grants'>;
  readonly #store: Pick<Store, 'changeToken'>;
  readonly #missions = new Map<string, Cached<MissionBudget>>();
  readonly #grantBudgets = new Map<string, GrantBudget>();

  constructor(
    identity: Pick<IdentityService, 'agentTeam' | 'missions'>,
    grants: Pick<GrantService, 'grants'>,
    store: Pick<Store, 'changeToken'>,
  ) {
    this.#identity = identity;
    this.#grants = grants;
    this.#store = store;
  }

  /** From the identity service's security snapshot, which follows the change token itself. */
  team(agent: string): Promise<string> {
    return this.#identity.agentTeam(agent);
  }

  missionBudget(mission: string): Promise<MissionBudget> {
    return this.#cached(this.#missions, mission, async () => {
      const budget = (await this.#identity.missions.get(mission)).manifest.budget;
      return budget === undefined
        ? undefined
        : { limit: budget.limit, currency: budget.currency, period: budget.period };
    });
  }

  async grantBudget(grant: string): Promise<GrantBudget> {
    if (this.#grantBudgets.has(grant)) return this.#grantBudgets.get(grant);
    const budget = (await this.#grants.grants.get(grant)).budget ?? undefined;
    if (this.#grantBudgets.size >= MAX_ENTRIES) this.#grantBudgets.clear();
    this.#grantBudgets.set(grant, budget === undefined ? undefined : { ...budget });
    return budget;
  }

  async #cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const token = this.#store.changeToken();
    const now = Date.now();
    const hit = cache.get(key);
    if (hit !== undefined && hit.token === token && now - hit.at < MAX_AGE_MS) return hit.value;
    const value = await load();
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, { value, token, at: now });
    return value;
  }
}
