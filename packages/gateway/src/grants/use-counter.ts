// Uses of grants without a use limit, counted in memory and added to the store in the background.
// Nothing depends on those counts being exact at each instant (no limit to enforce), so a call does
// not wait for a durable write; use-limited grants never go through here (their single-statement
// consume is what keeps their count exact). Counts reach the store within FLUSH_MS and on close.
const FLUSH_MS = 1000;

export class UseCounter {
  readonly #write: (grantId: string, uses: number) => Promise<void>;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(write: (grantId: string, uses: number) => Promise<void>) {
    this.#write = write;
  }

  add(grantId: string): void {
    this.#pending.set(grantId, (this.#pending.get(grantId) ?? 0) + 1);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes what was counted so far; a failed write keeps its counts for the next flush. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#flushing.then(async () => {
      for (const [grantId, uses] of batch) {
        try {
          await this.#write(grantId, uses);
        } catch {
          this.#pending.set(grantId, (this.#pending.get(grantId) ?? 0) + uses);
          this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
        }
      }
    });
    return this.#flushing;
  }
}
