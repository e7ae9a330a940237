// Single use of proof `jti`s (RFC 9449 §11.1): the interface and a bounded in-memory cache that fails closed.
import { VerifyError } from '../errors.js';
import { readClock, systemNow } from './clock.js';

/** Where proof `jti`s are recorded; share one across every gateway that accepts the same audience. */
export interface ReplayCache {
  /**
   * True on the first use of `jti`, which MUST then be remembered until `expiresAt` (epoch
   * seconds); false when it is still remembered. MUST NOT forget an unexpired `jti` to make room:
   * when full, throw (VerifyError `replay-cache-full`) instead.
   */
  use(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Options of {@link MemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most unexpired `jti`s held; default 100,000. */
  maxEntries?: number;
  /** Current time in epoch seconds; default `Date.now() / 1000`. */
  now?: () => number;
}

/** Default capacity of {@link MemoryReplayCache}. */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 100_000;

/**
 * A {@link ReplayCache} for one process. Bounded: expired `jti`s are evicted, and when it is full
 * of unexpired ones it refuses new ones (throws VerifyError `replay-cache-full`), since forgetting
 * one would let its proof be replayed. Every operation is amortised O(1).
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #max: number;
  readonly #now: () => number;
  // jti → expiresAt, in insertion order (roughly expiry order, as proofs carry fresh iats).
  readonly #entries = new Map<string, number>();
  // A lower bound of every held expiry: until the clock passes it, a full sweep frees nothing.
  #nextSweep = -Infinity;

  constructor(options: MemoryReplayCacheOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options: object');
    const max = options.maxEntries ?? DEFAULT_REPLAY_CACHE_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('maxEntries: integer >= 1');
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('now: function');
    }
    this.#max = max;
    this.#now = options.now ?? systemNow;
  }

  /** Number of `jti`s currently held (expired ones may linger until the next eviction). */
  get size(): number {
    return this.#entries.size;
  }

  use(jti: string, expiresAt: number): boolean {
    if (typeof jti !== 'string') throw new TypeError('jti must be a string');
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
      throw new TypeError('expiresAt must be a number');
    }
    const now = readClock(this.#now);
    const seen = this.#entries.get(jti);
    if (seen !== undefined) {
      if (seen >= now) return false;
      this.#entries.delete(jti); // expired: a proof naming it is stale anyway
    }
    this.#evictOldest(now);
    if (this.#entries.size >= this.#max) this.#sweep(now);
    if (this.#entries.size >= this.#max) throw new VerifyError('replay-cache-full');
    this.#entries.set(jti, expiresAt);
    if (expiresAt < this.#nextSweep) this.#nextSweep = expiresAt; // stays a lower bound
    return true;
  }

  /** Drops expired entries from the front (the oldest insertions), stopping at the first live one. */
  #evictOldest(now: number): void {
    for (const [jti, expiresAt] of this.#entries) {
      if (expiresAt >= now) return;
      this.#entries.delete(jti);
    }
  }

  /** Drops every expired entry, at most once per earliest-remaining expiry (keeps a full cache O(1)). */
  #sweep(now: number): void {
    if (now <= this.#nextSweep) return;
    let next = Infinity;
    for (const [jti, expiresAt] of this.#entries) {
      if (expiresAt < now) this.#entries.delete(jti);
      else if (expiresAt < next) next = expiresAt;
    }
    this.#nextSweep = next;
  }
}
