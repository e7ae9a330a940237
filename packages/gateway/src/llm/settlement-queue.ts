// Settlements of finished calls, written in batches: one transaction (one durable commit) for every
// call that ended within a few milliseconds, instead of one each. Writes of the store block the
// event loop (SQLite) or take a round trip (PostgreSQL); batching keeps them off the next calls'
// way. Until its batch commits, a call's reservation still counts — the budget errs on the side of
// spending less.
import type { BudgetLedger, Settlement } from './budget-ledger.js';

const MAX_DELAY_MS = 20;
const MAX_BATCH = 512;

interface Queued {
  readonly settlement: Settlement;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class SettlementQueue {
  readonly #ledger: Pick<BudgetLedger, 'settle'>;
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(ledger: Pick<BudgetLedger, 'settle'>) {
    this.#ledger = ledger;
  }

  /** Resolves once the settlement is committed; rejects when its batch failed. */
  add(settlement: Settlement): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ settlement, resolve, reject });
      if (this.#queue.length >= MAX_BATCH) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), MAX_DELAY_MS);
    });
  }

  /** Writes what is queued (after the batch being written, if any). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return this.#writing;
    this.#writing = this.#writing.then(async () => {
      try {
        await this.#ledger.settle(batch.map((q) => q.settlement));
        for (const q of batch) q.resolve();
      } catch (error) {
        for (const q of batch) q.reject(error);
      }
    });
    return this.#writing;
  }
}
