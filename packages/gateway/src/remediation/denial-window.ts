// The denial-burst trigger's memory: per agent, the audit indexes of its denials within the last
// `withinSeconds`. Bounded: at most `count` indexes per agent, and idle agents are forgotten.

/** Agents remembered at most; beyond it the least recently denied are dropped. */
const MAX_AGENTS = 10_000;

export class DenialWindow {
  readonly #count: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Per agent: [time, audit index] of recent denials, oldest first (insertion order = recency). */
  readonly #recent = new Map<string, Array<readonly [number, number]>>();

  constructor(settings: { count: number; withinSeconds: number }, now: () => number) {
    this.#count = settings.count;
    this.#windowMs = settings.withinSeconds * 1000;
    this.#now = now;
  }

  /**
   * Notes a denial made at `at` (epoch ms; now when not given); returns the indexes of the burst
   * when it makes `count` within the window (and starts counting afresh, so one burst fires once).
   */
  add(agent: string, index: number, at?: number): number[] | undefined {
    const now = at ?? this.#now();
    const kept = (this.#recent.get(agent) ?? []).filter(([at]) => now - at < this.#windowMs);
    kept.push([now, index]);
    this.#recent.delete(agent);
    if (kept.length >= this.#count) return kept.map(([, i]) => i);
    this.#recent.set(agent, kept);
    if (this.#recent.size > MAX_AGENTS) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    return undefined;
  }
}
