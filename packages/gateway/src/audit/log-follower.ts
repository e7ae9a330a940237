// Follows the audit log in index order, whichever process appended it: a read model of the whole
// log, not only of this process's events. An event this process records is delivered as it is
// when it is the next index (the common case with one process: no read at all). A gap — entries
// another process sharing the store appended in between — is filled by reading them back from the
// store, at once, and every `intervalMs` anyway. Reads never overlap: a nudge during a read makes
// one more read after it.
//
// Every event says whether this process recorded it (`local`). The append of a local event waits
// until the event has been delivered and what `onEvents` returned has settled — also when a gap
// made it wait for a read, if `awaitLocal` says so — unless that read fails (the event then comes
// with a later read).
import type { AuditLog, LogEntry, RecordedEvent } from './audit-log.js';

const PAGE = 1000;

/** An event of the log, and whether this process recorded it. */
export interface FollowedEvent extends RecordedEvent {
  readonly local: boolean;
}

export interface LogFollowerOptions {
  /** The first index to deliver; `end`: the log's size when the follower starts. */
  readonly from: number | 'end';
  readonly intervalMs: number;
  /** Gets every event once, in index order. */
  readonly onEvents: (events: readonly FollowedEvent[]) => void | Promise<void>;
  /** A failed read or onEvents (reads are retried at the next gap or tick). */
  readonly onError: (error: unknown) => void;
  /** Whether a local event's append waits for a read when a gap comes before it; default yes. */
  readonly awaitLocal?: (recorded: RecordedEvent) => boolean;
}

export class LogFollower {
  readonly #audit: AuditLog;
  readonly #options: LogFollowerOptions;
  /** The next index to deliver; undefined until the log's size is known (`from: 'end'`). */
  #next: number | undefined;
  /**
   * Local events waiting for a read to deliver them, with what lets their appends go on (undefined
   * once a failed read let them go).
   */
  readonly #localWaiting = new Map<number, (() => void) | undefined>();
  #reading: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopListening: (() => void) | undefined;

  constructor(audit: AuditLog, options: LogFollowerOptions) {
    this.#audit = audit;
    this.#options = options;
    this.#next = options.from === 'end' ? undefined : options.from;
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
    this.#letAppendsGo();
  }

  #recorded(recorded: RecordedEvent): void | Promise<void> {
    if (this.#next !== undefined && recorded.index < this.#next) return; // delivered already
    if (recorded.index === this.#next && this.#reading === undefined) {
      this.#next += 1;
      const result = this.#options.onEvents([{ ...recorded, local: true }]);
      return result instanceof Promise ? result : undefined;
    }
    if (this.#options.awaitLocal?.(recorded) === false) {
      this.#localWaiting.set(recorded.index, undefined);
      this.#read();
      return;
    }
    const delivered = new Promise<void>((resolve) =>
      this.#localWaiting.set(recorded.index, resolve),
    );
    this.#read();
    return delivered;
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
      // Events recorded before the start (`from: 'end'`) are not delivered; their appends go on.
      this.#next ??= await this.#audit.size();
      for (;;) {
        const page = await this.#audit.entries(this.#next, PAGE);
        if (page.length > 0) {
          this.#next = (page.at(-1) as LogEntry).index + 1;
          await this.#deliver(page);
        }
        this.#delivered(this.#next);
        if (page.length < PAGE) return;
      }
    } catch (error) {
      this.#options.onError(error);
      // Appends waiting for this read go on; their events come with a later read.
      this.#letAppendsGo();
    }
  }

  async #deliver(page: readonly LogEntry[]): Promise<void> {
    const events = page.flatMap((e) => {
      const recorded = recordedFromEntry(e.index, e.entry);
      return recorded === undefined
        ? []
        : [{ ...recorded, local: this.#localWaiting.has(e.index) }];
    });
    try {
      await this.#options.onEvents(events);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /** Local events below `next` are delivered: their appends go on. */
  #delivered(next: number): void {
    for (const [at, release] of this.#localWaiting) {
      if (at >= next) continue;
      this.#localWaiting.delete(at);
      release?.();
    }
  }

  /** Every waiting append goes on; the events stay local for the read that delivers them. */
  #letAppendsGo(): void {
    for (const [at, release] of this.#localWaiting) {
      release?.();
      this.#localWaiting.set(at, undefined);
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
