// Follows the audit log in index order, whichever process appended it: a read model of the whole
// log, not only of this process's events. An event this process records is delivered from memory
// when it is the next index (with one process, always: the store is never read for it). A gap —
// entries another process sharing the store appended in between — is filled by reading them back
// from the store, at once, and every `intervalMs` anyway. Reads never overlap; local events that
// come during a read wait in memory and follow it, and only a gap still open makes another read.
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

/** A local event not delivered yet, and what lets its append go on (undefined: nothing waits). */
interface PendingLocal {
  readonly recorded: RecordedEvent;
  release: (() => void) | undefined;
}

export class LogFollower {
  readonly #audit: AuditLog;
  readonly #options: LogFollowerOptions;
  /** The next index to deliver; undefined until the log's size is known (`from: 'end'`). */
  #next: number | undefined;
  readonly #pending = new Map<number, PendingLocal>();
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
    const waits = this.#options.awaitLocal?.(recorded) !== false;
    const pending: PendingLocal = { recorded, release: undefined };
    const delivered = waits
      ? new Promise<void>((resolve) => (pending.release = resolve))
      : undefined;
    this.#pending.set(recorded.index, pending);
    this.#read();
    return delivered;
  }

  /** Delivers what was appended since the last event delivered (now, or after the read going on). */
  #read(): void {
    if (this.#reading !== undefined) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readAll().finally(() => {
      this.#reading = undefined;
      // Another read only for a gap still open before a local event (the timer does the rest).
      if (this.#again && this.#pending.size > 0) this.#read();
      this.#again = false;
    });
  }

  async #readAll(): Promise<void> {
    try {
      // Events recorded before the start (`from: 'end'`) are not delivered; their appends go on.
      this.#next ??= await this.#audit.size();
      this.#delivered(this.#next);
      for (;;) {
        await this.#deliverPending();
        const page = await this.#audit.entries(this.#next, PAGE);
        if (page.length > 0) {
          this.#next = (page.at(-1) as LogEntry).index + 1;
          await this.#deliver(page);
          this.#delivered(this.#next);
        }
        if (page.length < PAGE) break;
      }
      await this.#deliverPending();
    } catch (error) {
      this.#options.onError(error);
      // Appends waiting for this read go on; their events come with a later read.
      this.#letAppendsGo();
    }
  }

  /** Delivers, from memory, the local events that follow on from `next`. */
  async #deliverPending(): Promise<void> {
    for (let at = this.#next; at !== undefined; at = this.#next) {
      const pending = this.#pending.get(at);
      if (pending === undefined) return;
      this.#pending.delete(at);
      this.#next = at + 1;
      await this.#hand([{ ...pending.recorded, local: true }]);
      pending.release?.();
    }
  }

  async #deliver(page: readonly LogEntry[]): Promise<void> {
    await this.#hand(
      page.flatMap((e) => {
        const recorded = recordedFromEntry(e.index, e.entry);
        return recorded === undefined ? [] : [{ ...recorded, local: this.#pending.has(e.index) }];
      }),
    );
  }

  async #hand(events: readonly FollowedEvent[]): Promise<void> {
    try {
      await this.#options.onEvents(events);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /** Local events below `next` are delivered (or came before the start): their appends go on. */
  #delivered(next: number): void {
    for (const [at, pending] of this.#pending) {
      if (at >= next) continue;
      this.#pending.delete(at);
      pending.release?.();
    }
  }

  /** Every waiting append goes on; the events stay pending for the read that delivers them. */
  #letAppendsGo(): void {
    for (const pending of this.#pending.values()) {
      pending.release?.();
      pending.release = undefined;
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
