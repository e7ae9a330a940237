// Single use of proof `jti`s across every gateway process sharing the store (RFC 9449 §11.1):
// behind a load balancer, a proof captured on its way to one gateway must not be accepted by another
// within its 60-second window. A jti is first checked in this process's memory (a replay to the same
// process costs no round trip), then inserted into the store, where the primary key lets exactly one
// insert win. Rows outlive their proofs' acceptance window and are swept once a minute.
//
// A store failure is thrown as it is (ZtError store-unavailable): the request is refused, never
// accepted unrecorded.
import { type ReplayCache, MemoryReplayCache } from '@zt4ai/verify';
import { ZtError } from '../errors.js';
import type { Store } from '../store/index.js';

const SWEEP_INTERVAL_SECONDS = 60;

export class StoreReplayCache implements ReplayCache {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #local: MemoryReplayCache;
  #nextSweep = -Infinity;

  /** `now` is the current time in epoch seconds. */
  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
    this.#local = new MemoryReplayCache({ now });
  }

  async use(jti: string, expiresAt: number): Promise<boolean> {
    if (!this.#local.use(jti, expiresAt)) return false;
    this.#sweepWhenDue();
    try {
      const inserted = await this.#store.db
        .insertInto('identity_proof_jtis')
        .values({ jti, expires_at: Math.ceil(expiresAt) })
        .onConflict((c) => c.column('jti').doNothing())
        .returning('jti')
        .executeTakeFirst();
      return inserted !== undefined;
    } catch (cause) {
      throw new ZtError('store-unavailable', 'the proof replay check could not reach the store', {
        cause,
      });
    }
  }

  /** Deletes expired rows at most once a minute; a failed sweep is retried at the next one. */
  #sweepWhenDue(): void {
    const now = this.#now();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_INTERVAL_SECONDS;
    this.#store.db
      .deleteFrom('identity_proof_jtis')
      .where('expires_at', '<', Math.floor(now))
      .execute()
      .catch(() => undefined);
  }
}
