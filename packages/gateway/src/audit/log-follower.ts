// Follows the audit log in index order, whichever process appended it: a read model of the whole
// log, not only of this process's events. An event this process records is delivered as it is
// when it is the next index (the common case with one process: no read at all). A gap — entries
// another process sharing the store appended in between — is filled by reading them back from the
// store, at once, and every `intervalMs` anyway. Reads never overlap: a nudge during a read makes
// one more read after it.
import type { AuditLog, LogEntry, RecordedEvent } from './audit-log.js';

const PAGE = 1000;

export interface LogFollowerOptions {
  /** The first index to deliver. */
  readonly from: number;
  readonly intervalMs: number;
  /** Gets every event once, in index order. */
  readonly onEvents: (events: readonly RecordedEvent[]) => void;
  /** A failed read (it is retried at the next gap or tick). */
  readonly onError: (error: unknown) => void;
}

export class LogFollower {
  readonly #audit: AuditLog;
  readonly #options: LogFollowerOptions;
  #next: number;
  #reading: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopListening: (() => void) | undefined;

  constructor(audit: AuditLog, options: LogFollowerOptions) {
    this.#audit = audit;
    this.#options = options;
    this.#next = options.from;
  }

  start(): void {
    this.#stopListening = this.#audit.onRecorded(
      (recorded) => this.#recorded(recorded),
      (error) => this.#options.onError(error),
    );
    this.#timer = setInterval(() => this.#read(), this.#options.intervalMs).unref();
    this.#read();
  }

  /** Stops following; resolves when a read in progress has ended. */
  async stop(): Promise<void> {
    this.#stopListening?.();
    clearInterval(this.#timer);
    await this.#reading;
  }

  #recorded(recorded: RecordedEvent): void {
    if (recorded.index < this.#next) return; // a read delivered it already
    if (recorded.index === this.#next && this.#reading === undefined) {
      this.#next += 1;
      this.#options.onEvents([recorded]);
      return;
    }
    this.#read();
  }

  /** Reads what was appended since the last event delivered (now, or after the read going on). */
  #read(): void {
    if (this.#reading !== undefined) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readAll().finally(() => {
      this.#reading = undefined;
      if (this.#again) {
        this.#again = false;
        this.#read();
      }
    });
  }

  async #readAll(): Promise<void> {
    try {
      for (;;) {
        const page = await this.#audit.entries(this.#next, PAGE);
        if (page.length === 0) return;
        this.#next = (page.at(-1) as LogEntry).index + 1;
        this.#options.onEvents(page.flatMap((e) => recordedFromEntry(e.index, e.entry) ?? []));
        if (page.length < PAGE) return;
      }
    } catch (error) {
      this.#options.onError(error);
    }
  }
}

/** The event an entry of the log records (undefined for text that is not an event object). */
export function recordedFromEntry(index: number, entry: string): RecordedEvent | undefined {
  try {
    const event = JSON.parse(entry) as unknown;
    if (
      typeof event !== 'object' ||
      event === null ||
      typeof (event as { type?: unknown }).type !== 'string'
    )
      return undefined;
    return { index, event: event as RecordedEvent['event'] };
  } catch {
    return undefined;
  }
}
