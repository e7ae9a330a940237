// The rate-anomaly trigger's memory: per agent, its calls in fixed windows and an exponentially
// weighted average of past windows (its own baseline). A window fires once, when its count reaches
// `minCalls` and exceeds `factor` × the baseline; an agent needs WARMUP_WINDOWS of history first.

const ALPHA = 0.2;
const WARMUP_WINDOWS = 6;
const MAX_AGENTS = 10_000;

interface AgentRate {
  window: number;
  calls: number;
  /** Audit index of the window's first call. */
  first: number;
  baseline: number;
  windowsSeen: number;
  fired: boolean;
}

export interface RateSpike {
  readonly calls: number;
  readonly baseline: number;
  /** The window's first and latest call. */
  readonly evidence: readonly number[];
}

export class RateBaseline {
  readonly #factor: number;
  readonly #minCalls: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #agents = new Map<string, AgentRate>();

  constructor(
    settings: { factor: number; windowSeconds: number; minCalls: number },
    now: () => number,
  ) {
    this.#factor = settings.factor;
    this.#minCalls = settings.minCalls;
    this.#windowMs = settings.windowSeconds * 1000;
    this.#now = now;
  }

  /**
   * Counts one call made at `at` (epoch ms; now when not given); returns the spike when this call
   * makes its window anomalous.
   */
  add(agent: string, index: number, at?: number): RateSpike | undefined {
    const window = Math.floor((at ?? this.#now()) / this.#windowMs);
    const rate = this.#agents.get(agent) ?? this.#remember(agent, window, index);
    if (window > rate.window) closeWindows(rate, window, index);
    rate.calls++;
    if (
      rate.fired ||
      rate.windowsSeen < WARMUP_WINDOWS ||
      rate.calls < this.#minCalls ||
      rate.calls <= this.#factor * Math.max(rate.baseline, 1)
    )
      return undefined;
    rate.fired = true;
    return { calls: rate.calls, baseline: rate.baseline, evidence: [rate.first, index] };
  }

  #remember(agent: string, window: number, index: number): AgentRate {
    // Full: the agent seen least recently goes (Map order is insertion order), not every baseline.
    if (this.#agents.size >= MAX_AGENTS) {
      const oldest = this.#agents.keys().next().value;
      if (oldest !== undefined) this.#agents.delete(oldest);
    }
    const rate = { window, calls: 0, first: index, baseline: 0, windowsSeen: 0, fired: false };
    this.#agents.set(agent, rate);
    return rate;
  }
}

/** Folds the finished window and the empty ones after it into the baseline; opens `window`. */
function closeWindows(rate: AgentRate, window: number, index: number): void {
  const empty = Math.min(window - rate.window - 1, 1000);
  rate.baseline =
    rate.windowsSeen === 0 ? rate.calls : rate.baseline * (1 - ALPHA) + rate.calls * ALPHA;
  rate.baseline *= (1 - ALPHA) ** empty;
  rate.windowsSeen += 1 + empty;
  rate.window = window;
  rate.calls = 0;
  rate.first = index;
  rate.fired = false;
}
