// The live read model of the governance center: recent activity, denials, per-agent timelines, the
// data each agent touched and certificates issued. Seeded from the log's tail at start, then fed
// by every entry of the log in index order — those of every gateway sharing the store
// (audit/log-follower.ts). Bounded: rings of fixed size, at most MAX_AGENTS agents.
import {
  type AuditLog,
  LogFollower,
  type RecordedEvent,
  recordedFromEntry,
} from '../audit/index.js';
import { type ActivityItem, isDenial, summarize } from './activity-summary.js';

const RECENT = 500;
const DENIALS = 200;
const PER_AGENT = 100;
const CERTIFICATES = 10;
const TOUCHED = 200;
const MAX_AGENTS = 100_000;
/** Entries read from the log's tail at start. */
export const SEED_ENTRIES = 20_000;
/** How soon another gateway's entries show up at the latest. */
const FOLLOW_INTERVAL_MS = 500;
const MINUTES = 60;

export interface TouchedData {
  readonly tool: string;
  readonly action: string;
  readonly labels: readonly string[];
  readonly count: number;
  readonly lastAt: string;
}

interface AgentActivity {
  lastSeen: string;
  allowed: number;
  denied: number;
  timeline: ActivityItem[];
  certificates: ActivityItem[];
  touched: Map<
    string,
    { tool: string; action: string; labels: Set<string>; count: number; lastAt: string }
  >;
}

export interface AgentActivityView {
  readonly lastSeen: string | undefined;
  readonly allowed: number;
  readonly denied: number;
  readonly timeline: readonly ActivityItem[];
  readonly certificates: readonly ActivityItem[];
  readonly touched: readonly TouchedData[];
}

export class ActivityFeed {
  readonly #recent: ActivityItem[] = [];
  readonly #denials: ActivityItem[] = [];
  readonly #agents = new Map<string, AgentActivity>();
  /** Events and denials per minute (epoch minute → counts), the last MINUTES minutes. */
  readonly #perMinute = new Map<number, { events: number; denials: number }>();
  readonly #listeners = new Set<(item: ActivityItem) => void>();

  /**
   * Takes in the last entries of the log, then follows it from the next index on, so the model
   * never holds an event twice or out of order. Stop the returned follower on shutdown.
   */
  async follow(audit: AuditLog, onError: (error: unknown) => void): Promise<LogFollower> {
    const entries = await audit.tail(SEED_ENTRIES);
    for (const entry of entries) {
      const recorded = recordedFromEntry(entry.index, entry.entry);
      if (recorded !== undefined) this.#take(recorded, true);
    }
    const follower = new LogFollower(audit, {
      from: (entries.at(-1)?.index ?? -1) + 1,
      intervalMs: FOLLOW_INTERVAL_MS,
      onEvents: (events) => {
        for (const recorded of events) this.#take(recorded, false);
      },
      onError,
      // A read model: no append waits for it.
      awaitLocal: () => false,
    });
    follower.start();
    return follower;
  }

  #take(recorded: RecordedEvent, quiet: boolean): void {
    const item = summarize(recorded);
    push(this.#recent, item, RECENT);
    const denial = isDenial(item);
    if (denial) push(this.#denials, item, DENIALS);
    this.#count(item.time, denial);
    if (item.agent !== undefined) this.#addToAgent(item.agent, item, recorded.event);
    if (!quiet) for (const listener of this.#listeners) listener(item);
  }

  /** Calls `listener` for every new item; returns its removal. */
  subscribe(listener: (item: ActivityItem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  recent(limit: number, filter: { agent?: string } = {}): ActivityItem[] {
    const source =
      filter.agent === undefined ? this.#recent : (this.#agents.get(filter.agent)?.timeline ?? []);
    return source.slice(-limit).reverse();
  }

  denials(limit: number): ActivityItem[] {
    return this.#denials.slice(-limit).reverse();
  }

  /** Events and denials per minute over the last hour, oldest first, ending at `now`. */
  perMinute(now: Date): Array<{ minute: string; events: number; denials: number }> {
    const last = Math.floor(now.getTime() / 60_000);
    return Array.from({ length: MINUTES }, (_, i) => {
      const minute = last - MINUTES + 1 + i;
      const counts = this.#perMinute.get(minute) ?? { events: 0, denials: 0 };
      return { minute: new Date(minute * 60_000).toISOString(), ...counts };
    });
  }

  agent(id: string): AgentActivityView {
    const activity = this.#agents.get(id);
    if (activity === undefined)
      return {
        lastSeen: undefined,
        allowed: 0,
        denied: 0,
        timeline: [],
        certificates: [],
        touched: [],
      };
    return {
      lastSeen: activity.lastSeen,
      allowed: activity.allowed,
      denied: activity.denied,
      timeline: activity.timeline.slice().reverse(),
      certificates: activity.certificates.slice().reverse(),
      touched: [...activity.touched.values()]
        .map((t) => ({ ...t, labels: [...t.labels].sort() }))
        .sort((a, b) => b.count - a.count),
    };
  }

  /** Last activity and counts of every agent seen. */
  summaries(): Map<string, { lastSeen: string; allowed: number; denied: number }> {
    const out = new Map<string, { lastSeen: string; allowed: number; denied: number }>();
    for (const [id, a] of this.#agents)
      out.set(id, { lastSeen: a.lastSeen, allowed: a.allowed, denied: a.denied });
    return out;
  }

  #count(time: string, denial: boolean): void {
    const minute = Math.floor(Date.parse(time) / 60_000);
    if (!Number.isFinite(minute)) return;
    const counts = this.#perMinute.get(minute) ?? { events: 0, denials: 0 };
    counts.events += 1;
    if (denial) counts.denials += 1;
    this.#perMinute.set(minute, counts);
    if (this.#perMinute.size > MINUTES * 2) {
      const oldest = Math.min(...this.#perMinute.keys());
      this.#perMinute.delete(oldest);
    }
  }

  #addToAgent(id: string, item: ActivityItem, event: RecordedEvent['event']): void {
    let activity = this.#agents.get(id);
    if (activity === undefined) {
      if (this.#agents.size >= MAX_AGENTS) return;
      activity = {
        lastSeen: item.time,
        allowed: 0,
        denied: 0,
        timeline: [],
        certificates: [],
        touched: new Map(),
      };
      this.#agents.set(id, activity);
    }
    activity.lastSeen = item.time;
    push(activity.timeline, item, PER_AGENT);
    if (item.type === 'guard.decision') {
      if (item.decision === 'allow') activity.allowed += 1;
      else activity.denied += 1;
    }
    if (item.type === 'identity.certificate.issued')
      push(activity.certificates, { ...item, ...certificateFields(event) }, CERTIFICATES);
    if (item.type === 'mcp.call.completed' && item.tool !== undefined) touch(activity, item);
  }
}

function touch(activity: AgentActivity, item: ActivityItem): void {
  const key = `${item.action ?? ''} ${item.tool ?? ''}`;
  let touched = activity.touched.get(key);
  if (touched === undefined) {
    if (activity.touched.size >= TOUCHED) return;
    touched = {
      tool: item.tool ?? '',
      action: item.action ?? '',
      labels: new Set(),
      count: 0,
      lastAt: item.time,
    };
    activity.touched.set(key, touched);
  }
  touched.count += 1;
  touched.lastAt = item.time;
  for (const label of item.labels ?? []) touched.labels.add(label);
}

function certificateFields(event: RecordedEvent['event']): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name of ['jti', 'kid', 'exp', 'profileVersion'] as const)
    if (event[name] !== undefined) fields[name] = event[name];
  return fields;
}

function push<T>(ring: T[], item: T, size: number): void {
  ring.push(item);
  if (ring.length > size) ring.splice(0, ring.length - size);
}
