// Refused authentications into the audit log, summarized: per refusal code and endpoint, the first
// refusal of a window is recorded at once and the rest of that window as one entry with their
// count when it ends. A flood of bad credentials thus costs the log a bounded number of entries
// (codes × endpoints per window: the endpoint is the URL the gateway built for the proof, and past
// MAX_KEYS open windows further ones count as "other"), while a single refusal still shows up at
// once.

export interface RefusalCount {
  readonly code: string;
  /** The URL the proof had to name: which endpoint refused. */
  readonly endpoint: string;
  /** Refusals this entry stands for. */
  readonly refused: number;
  /** Start of the window they fell in (ISO 8601). */
  readonly since: string;
}

interface Window {
  readonly code: string;
  readonly endpoint: string;
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
  unreported: number;
}

const WINDOW_MS = 10_000;
/** Windows open at once; past it, refusals of further endpoints count under "other". */
const MAX_KEYS = 256;

export class RefusalSummary {
  readonly #record: (count: RefusalCount) => Promise<void>;
  readonly #now: () => number;
  readonly #windowMs: number;
  /** The windows of the last `windowMs`; each is closed (and forgotten) by its own timer. */
  readonly #windows = new Map<string, Window>();
  /** Writes not settled yet, so that flush() can wait for them. */
  readonly #writing = new Set<Promise<void>>();

  constructor(
    record: (count: RefusalCount) => Promise<void>,
    now: () => number,
    windowMs = WINDOW_MS,
  ) {
    this.#record = record;
    this.#now = now;
    this.#windowMs = windowMs;
  }

  /** Notes one refusal; never throws, and recording failures are dropped. */
  note(code: string, url: string): void {
    const full = !this.#windows.has(`${code} ${url}`) && this.#windows.size >= MAX_KEYS;
    const endpoint = full ? 'other' : url;
    const key = `${code} ${endpoint}`;
    const open = this.#windows.get(key);
    if (open !== undefined) {
      open.unreported += 1;
      return;
    }
    const startedAt = this.#now();
    const timer = setTimeout(() => this.#close(key), this.#windowMs).unref();
    this.#windows.set(key, { code, endpoint, startedAt, timer, unreported: 0 });
    this.#write({ code, endpoint, refused: 1, since: new Date(startedAt).toISOString() });
  }

  /**
   * Ends every open window now (the process stops): their counts are written, and the returned
   * promise settles when every write has (failures are dropped, as always).
   */
  async flush(): Promise<void> {
    for (const key of [...this.#windows.keys()]) this.#close(key);
    await Promise.all(this.#writing);
  }

  /** Ends a window: what it has not reported yet becomes one entry. */
  #close(key: string): void {
    const window = this.#windows.get(key);
    this.#windows.delete(key);
    if (window === undefined) return;
    clearTimeout(window.timer);
    if (window.unreported === 0) return;
    this.#write({
      code: window.code,
      endpoint: window.endpoint,
      refused: window.unreported,
      since: new Date(window.startedAt).toISOString(),
    });
  }

  #write(count: RefusalCount): void {
    const writing = this.#record(count).catch(() => undefined);
    this.#writing.add(writing);
    void writing.finally(() => this.#writing.delete(writing));
  }
}
