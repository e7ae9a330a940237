// The labels of an agent's taint, shared by every gateway on the store (docs/mcp-gateway.md,
// "Taint"). Behind a load balancer, or with two local-mode proxies of one agent, the agent's next
// call may reach another process than the one that passed it untrusted content; with labels kept
// only per process, it would shed `untrusted` there. So each gateway writes the labels of the
// results it passes on (before passing them on) and reads the agent's labels before each decision.
//
// Reads are cached per agent until the store's change token moves; a label new to the store is
// announced, so other gateways read again on their next call. Remembered values stay per process:
// they are the agent's data, and the store holds none of it in clear. A label is forgotten once no
// gateway has seen the agent carry it for the idle time; each gateway refreshes the labels of an
// agent it serves at most ten times per idle time. Store failures are thrown (store-unavailable):
// the call is denied, or the result withheld.
import type { SessionTaint } from '../detectors/labels.js';
import { ZtError } from '../errors.js';
import type { Store } from '../store/index.js';

const REFRESHES_PER_IDLE_TIME = 10;

interface ReadLabels {
  readonly token: string;
  readonly labels: readonly string[];
  usedAt: number;
}

interface PublishedLabels {
  readonly labels: ReadonlySet<string>;
  readonly at: number;
}

export class SharedTaintLabels {
  readonly #store: Store;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #read = new Map<string, ReadLabels>();
  readonly #published = new Map<string, PublishedLabels>();

  constructor(store: Store, idleMs: number, now: () => number = Date.now) {
    this.#store = store;
    this.#idleMs = idleMs;
    this.#now = now;
  }

  /** Adds the agent's labels seen by any gateway to `taint`, and refreshes its own when due. */
  async pull(agent: string, taint: SessionTaint): Promise<void> {
    taint.adoptLabels(await this.#labelsOf(agent));
    await this.publish(agent, taint.sessionLabels());
  }

  /** Makes `labels` of `agent` known to every gateway; writes only what is new or due. */
  async publish(agent: string, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    const now = this.#now();
    const last = this.#published.get(agent);
    const due = last === undefined || now - last.at >= this.#idleMs / REFRESHES_PER_IDLE_TIME;
    const writing = due ? labels : labels.filter((label) => !last.labels.has(label));
    if (writing.length === 0) return;
    try {
      await this.#store.db
        .insertInto('mcp_taint_labels')
        .values(writing.map((label) => ({ agent, label, seen_at: now })))
        .onConflict((c) => c.columns(['agent', 'label']).doUpdateSet({ seen_at: now }))
        .execute();
    } catch (cause) {
      throw new ZtError('store-unavailable', 'the taint labels could not be written', { cause });
    }
    this.#published.set(
      agent,
      due
        ? { labels: new Set(writing), at: now }
        : { labels: new Set([...last.labels, ...writing]), at: last.at },
    );
    const known = this.#read.get(agent)?.labels ?? [];
    if (writing.some((label) => !known.includes(label))) await this.#store.announceChange();
  }

  /** Deletes labels no gateway has seen for the idle time, and forgets idle agents here. */
  async sweep(): Promise<void> {
    const now = this.#now();
    for (const [agent, read] of this.#read)
      if (now - read.usedAt >= this.#idleMs) this.#read.delete(agent);
    for (const [agent, published] of this.#published)
      if (now - published.at >= this.#idleMs) this.#published.delete(agent);
    await this.#store.db
      .deleteFrom('mcp_taint_labels')
      .where('seen_at', '<=', now - this.#idleMs)
      .execute();
  }

  async #labelsOf(agent: string): Promise<readonly string[]> {
    try {
      return await this.#readLabels(agent);
    } catch (cause) {
      throw new ZtError('store-unavailable', 'the taint labels could not be read', { cause });
    }
  }

  async #readLabels(agent: string): Promise<readonly string[]> {
    const now = this.#now();
    const token = this.#store.changeToken();
    const cached = this.#read.get(agent);
    if (cached?.token === token) {
      cached.usedAt = now;
      return cached.labels;
    }
    const rows = await this.#store.db
      .selectFrom('mcp_taint_labels')
      .select('label')
      .where('agent', '=', agent)
      .where('seen_at', '>', now - this.#idleMs)
      .execute();
    const labels = rows.map((row) => row.label);
    this.#read.set(agent, { token, labels, usedAt: now });
    return labels;
  }
}
