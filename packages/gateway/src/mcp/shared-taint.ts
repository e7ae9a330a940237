// An agent's taint, shared by every gateway on the store (docs/mcp-gateway.md, "Taint"). Behind a
// load balancer, or with two local-mode proxies of one agent, the agent's next call may reach
// another process than the one that passed it a labelled result. With taint kept per process the
// agent would shed `untrusted` there, and could send a `confidential` value on unseen. So before a
// gateway passes a labelled result on, it writes the agent's labels and the result's values; before
// each decision, a gateway adds what other gateways wrote to its own taint of the agent.
//
// - Labels: a row per agent and label with when a gateway last saw the agent carry it; a gateway
//   serving the agent refreshes its labels at most ten times per idle time. Forgotten once no
//   gateway has seen them for the idle time.
// - Values: a row per labelled result, its labels and values sealed (AES-256-GCM, a key derived
//   from the master key, bound to the agent). Shared for the idle time after they were written; a
//   gateway reads the rows it has not read yet, newest first, up to as many values as a taint keeps
//   (10 000: what the writing gateway itself still remembers).
// - Reads happen when the store's `taint` change token has moved (every write announces), so a
//   quiet fleet reads nothing. A failure throws: the call is denied, or the result withheld.
import { DEFAULT_MAX_TAINT_VALUES, type SessionTaint } from '../detectors/labels.js';
import { ZtError } from '../errors.js';
import { seal, unseal } from '../secrets/index.js';
import type { Store } from '../store/index.js';

const REFRESHES_PER_IDLE_TIME = 10;
const ROWS_PER_PAGE = 1000;

/** What one labelled result adds to the agent's taint. */
export interface SharedResult {
  readonly labels: readonly string[];
  readonly values: readonly string[];
}

interface ReadState {
  readonly taint: SessionTaint;
  readonly token: string;
  readonly labels: readonly string[];
  readonly lastId: number;
  usedAt: number;
}

interface PublishedLabels {
  readonly labels: ReadonlySet<string>;
  readonly at: number;
}

export interface SharedTaintOptions {
  readonly store: Store;
  /** 32 bytes, for sealing the values (derived from the master key; never the master key). */
  readonly key: Buffer;
  /** mcp.taintIdleTimeoutMs. */
  readonly idleMs: number;
  readonly now?: () => number;
}

export class SharedTaint {
  readonly #store: Store;
  readonly #key: Buffer;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #read = new Map<string, ReadState>();
  readonly #published = new Map<string, PublishedLabels>();

  constructor(options: SharedTaintOptions) {
    this.#store = options.store;
    this.#key = options.key;
    this.#idleMs = options.idleMs;
    this.#now = options.now ?? Date.now;
  }

  /** Adds what other gateways wrote of `agent` to `taint`, and refreshes its labels when due. */
  async pull(agent: string, taint: SessionTaint): Promise<void> {
    try {
      await this.#catchUp(agent, taint);
    } catch (cause) {
      if (cause instanceof ZtError && cause.code === 'payload-corrupt') throw cause;
      throw new ZtError('store-unavailable', 'the shared taint could not be read', { cause });
    }
    await this.publish(agent, taint.sessionLabels());
  }

  /**
   * Makes the agent's session `labels`, and the labels and values of a `result` it is being given,
   * known to every gateway. Labels are written when new here or due; values always.
   */
  async publish(agent: string, labels: readonly string[], result?: SharedResult): Promise<void> {
    const now = this.#now();
    const last = this.#published.get(agent);
    const due = last === undefined || now - last.at >= this.#idleMs / REFRESHES_PER_IDLE_TIME;
    const writing = due ? labels : labels.filter((label) => !last.labels.has(label));
    const values = result !== undefined && result.values.length > 0 ? result : undefined;
    if (writing.length === 0 && values === undefined) return;
    try {
      await this.#store.exclusive('mcp-taint', async (trx) => {
        if (writing.length > 0)
          await trx
            .insertInto('mcp_taint_labels')
            .values(writing.map((label) => ({ agent, label, seen_at: now })))
            .onConflict((c) => c.columns(['agent', 'label']).doUpdateSet({ seen_at: now }))
            .execute();
        if (values !== undefined)
          await trx
            .insertInto('mcp_taint_values')
            .values({ agent, sealed: this.#seal(agent, values), seen_at: now })
            .execute();
      });
    } catch (cause) {
      throw new ZtError('store-unavailable', 'the taint could not be shared', { cause });
    }
    if (writing.length > 0)
      this.#published.set(
        agent,
        due
          ? { labels: new Set(writing), at: now }
          : { labels: new Set([...last.labels, ...writing]), at: last.at },
      );
    const known = this.#read.get(agent)?.labels ?? [];
    if (values !== undefined || writing.some((label) => !known.includes(label)))
      await this.#store.announceChange('taint');
  }

  /** Deletes what no gateway may read any more, and forgets idle agents here. */
  async sweep(): Promise<void> {
    const now = this.#now();
    const horizon = now - this.#idleMs;
    for (const [agent, read] of this.#read) if (read.usedAt <= horizon) this.#read.delete(agent);
    for (const [agent, published] of this.#published)
      if (published.at <= horizon) this.#published.delete(agent);
    await this.#store.db.deleteFrom('mcp_taint_labels').where('seen_at', '<=', horizon).execute();
    await this.#store.db.deleteFrom('mcp_taint_values').where('seen_at', '<=', horizon).execute();
  }

  async #catchUp(agent: string, taint: SessionTaint): Promise<void> {
    const now = this.#now();
    const token = this.#store.changeToken('taint');
    const state = this.#read.get(agent);
    // A taint object this gateway made anew (the agent was idle here) has read nothing yet.
    const known = state?.taint === taint ? state : undefined;
    if (known?.token === token) {
      known.usedAt = now;
      return;
    }
    const horizon = now - this.#idleMs;
    const labels = await this.#store.db
      .selectFrom('mcp_taint_labels')
      .select('label')
      .where('agent', '=', agent)
      .where('seen_at', '>', horizon)
      .execute();
    const since = known?.lastId ?? 0;
    const results = await this.#unreadResults(agent, since, horizon);
    for (const result of results) taint.adopt(result.labels, result.values);
    const labelNames = labels.map((row) => row.label);
    taint.adopt(labelNames);
    const lastId = results.at(-1)?.id ?? since;
    this.#read.set(agent, { taint, token, labels: labelNames, lastId, usedAt: now });
  }

  /**
   * The agent's value rows after `since`, oldest first: read newest first, a page at a time, until
   * they hold as many values as a taint keeps (what the writing gateway itself still remembers).
   */
  async #unreadResults(
    agent: string,
    since: number,
    horizon: number,
  ): Promise<Array<SharedResult & { readonly id: number }>> {
    const results: Array<SharedResult & { readonly id: number }> = [];
    let values = 0;
    let before = Number.MAX_SAFE_INTEGER;
    while (values < DEFAULT_MAX_TAINT_VALUES) {
      const page = await this.#store.db
        .selectFrom('mcp_taint_values')
        .select(['id', 'sealed'])
        .where('agent', '=', agent)
        .where('id', '>', since)
        .where('id', '<', before)
        .where('seen_at', '>', horizon)
        .orderBy('id', 'desc')
        .limit(ROWS_PER_PAGE)
        .execute();
      for (const row of page) {
        const result = { ...this.#unseal(agent, row.sealed), id: row.id };
        results.push(result);
        values += result.values.length;
      }
      if (page.length < ROWS_PER_PAGE) break;
      before = page.at(-1)?.id ?? 0;
    }
    return results.reverse();
  }

  #seal(agent: string, result: SharedResult): Buffer {
    const plaintext = JSON.stringify({ labels: result.labels, values: result.values });
    return seal(this.#key, Buffer.from(plaintext, 'utf8'), sealContext(agent));
  }

  #unseal(agent: string, sealed: Uint8Array): SharedResult {
    const text = unseal(this.#key, sealed, sealContext(agent)).toString('utf8');
    const parsed = JSON.parse(text) as SharedResult;
    return { labels: parsed.labels, values: parsed.values };
  }
}

function sealContext(agent: string): string {
  return `zt4ai taint values v1\0${agent}`;
}
