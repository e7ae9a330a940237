// Requests and tokens per minute per agent, as token buckets (capacity: the per-minute limit,
// refilled continuously). A call takes one request and its token estimate (input bound plus output
// ceiling) before it is sent; when it ends, the estimate is replaced by the tokens it really used.
// Buckets live in this process: with several gateways behind a balancer each enforces its own
// share, as providers' own per-key limits do.

export interface RateLimits {
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
}

export type RateDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly limit: 'requests' | 'tokens';
      readonly retryAfterSeconds: number;
    };

interface Bucket {
  level: number;
  at: number;
}

const MINUTE_MS = 60_000;
const MAX_AGENTS = 100_000;

class Buckets {
  readonly #capacity: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(perMinute: number) {
    this.#capacity = perMinute;
  }

  /** The bucket of `agent` refilled up to `now`. */
  #bucket(agent: string, now: number): Bucket {
    let bucket = this.#buckets.get(agent);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_AGENTS) this.#forgetFull(now);
      bucket = { level: this.#capacity, at: now };
      this.#buckets.set(agent, bucket);
    }
    const refill = ((now - bucket.at) * this.#capacity) / MINUTE_MS;
    bucket.level = Math.min(this.#capacity, bucket.level + refill);
    bucket.at = now;
    return bucket;
  }

  /** Seconds until `amount` fits, or 0 when it fits now; Infinity when it never can. */
  wait(agent: string, amount: number, now: number): number {
    if (amount > this.#capacity) return Infinity;
    const bucket = this.#bucket(agent, now);
    if (bucket.level >= amount) return 0;
    return Math.ceil(((amount - bucket.level) * MINUTE_MS) / this.#capacity / 1000);
  }

  take(agent: string, amount: number, now: number): void {
    this.#bucket(agent, now).level -= amount;
  }

  /** Gives back (or takes more of) what an estimate got wrong. */
  adjust(agent: string, amount: number, now: number): void {
    const bucket = this.#bucket(agent, now);
    bucket.level = Math.min(this.#capacity, bucket.level + amount);
  }

  #forgetFull(now: number): void {
    for (const [agent] of this.#buckets) {
      if (this.#bucket(agent, now).level >= this.#capacity) this.#buckets.delete(agent);
    }
  }
}

export class RateLimiter {
  readonly #requests: Buckets | undefined;
  readonly #tokens: Buckets | undefined;
  readonly #now: () => number;

  constructor(limits: RateLimits, now: () => number = Date.now) {
    this.#requests =
      limits.requestsPerMinute === undefined ? undefined : new Buckets(limits.requestsPerMinute);
    this.#tokens =
      limits.tokensPerMinute === undefined ? undefined : new Buckets(limits.tokensPerMinute);
    this.#now = now;
  }

  /** Takes one request and `tokens` for `agent`, or nothing and says how long to wait. */
  take(agent: string, tokens: number): RateDecision {
    const now = this.#now();
    const requestWait = this.#requests?.wait(agent, 1, now) ?? 0;
    if (requestWait > 0) return { ok: false, limit: 'requests', retryAfterSeconds: requestWait };
    const tokenWait = this.#tokens?.wait(agent, tokens, now) ?? 0;
    if (tokenWait > 0) return { ok: false, limit: 'tokens', retryAfterSeconds: tokenWait };
    this.#requests?.take(agent, 1, now);
    this.#tokens?.take(agent, tokens, now);
    return { ok: true };
  }

  /** The call used `used` tokens where `estimated` were taken. */
  settle(agent: string, estimated: number, used: number): void {
    this.#tokens?.adjust(agent, estimated - used, this.#now());
  }
}
