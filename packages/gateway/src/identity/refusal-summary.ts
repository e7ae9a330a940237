// Refused authentications into the audit log, summarized: per refusal code and endpoint, the first
// refusal of a window is recorded at once and the rest of that window as one entry with their
// count when it ends. A flood of bad credentials thus costs the log a bounded number of entries
// (codes × endpoints per window: the endpoint is the URL the gateway built for the proof, and past
// MAX_KEYS distinct ones the rest count as "other"), while a single refusal still shows up at once.

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
  unreported: number;
  timer: NodeJS.Timeout | undefined;
}

const WINDOW_MS = 10_000;
const MAX_KEYS = 256;

export class RefusalSummary {
  readonly #record: (count: RefusalCount) => Promise<void>;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

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
    let endpoint = url;
    let key = `${code} ${endpoint}`;
    if (!this.#windows.has(key) && this.#windows.size >= MAX_KEYS) {
      endpoint = 'other';
      key = `${code} ${endpoint}`;
    }
    const now = this.#now();
    const open = this.#windows.get(key);
    if (open !== undefined && now - open.startedAt < this.#windowMs) {
      open.unreported += 1;
      open.timer ??= setTimeout(() => this.#close(key, open), this.#windowMs).unref();
      return;
    }
    if (open !== undefined) this.#close(key, open);
    this.#windows.set(key, { code, endpoint, startedAt: now, unreported: 0, timer: undefined });
    this.#write({ code, endpoint, refused: 1, since: new Date(now).toISOString() });
  }

  #close(key: string, window: Window): void {
    clearTimeout(window.timer);
    window.timer = undefined;
    if (this.#windows.get(key) === window) this.#windows.delete(key);
    if (window.unreported === 0) return;
    this.#write({
      code: window.code,
      endpoint: window.endpoint,
      refused: window.unreported,
      since: new Date(window.startedAt).toISOString(),
    });
    window.unreported = 0;
  }

  #write(count: RefusalCount): void {
    this.#record(count).catch(() => undefined);
  }
}
