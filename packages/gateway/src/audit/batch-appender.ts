// Sequences, integrates and publishes audit entries in batches (DESIGN §5, as in Tessera's append
// lifecycle). One transaction per batch assigns indexes, writes entries and tree nodes, and signs a
// checkpoint; many processes may append to one PostgreSQL store, serialized by an advisory lock.
//
// Contract: append() MUST NOT resolve an index before the entry, its tree nodes and a checkpoint
// covering it are committed durably; a failed batch rejects every append in it and writes nothing.
import { CompactRange, formatCheckpoint, leafHash, peakCoordinates } from '@zt4ai/verify';
import { ZtError, toZtError } from '../errors.js';
import type {
  AuditBatchRows,
  AuditEntryRow,
  AuditNodeRow,
  AuditPayloadRow,
  Store,
} from '../store/index.js';
import { entryText, type PreparedEvent } from './entry.js';
import type { LogSigner } from './log-signer.js';

export interface AppenderOptions {
  readonly batchMaxEntries: number;
  readonly batchMaxDelayMs: number;
  readonly checkpointHistoryIntervalMs: number;
  readonly now: () => Date;
}

/** An event ready to be sequenced, and its sealed payloads. */
export interface QueuedEntry {
  readonly event: PreparedEvent;
  readonly payloads: readonly AuditPayloadRow[];
}

/** An entry, or its preparation, which runs when the entry's batch forms. */
export type EntrySource = QueuedEntry | (() => Promise<QueuedEntry>);

interface Pending<E extends EntrySource = EntrySource> {
  readonly entry: E;
  readonly resolve: (index: number) => void;
  readonly reject: (error: ZtError) => void;
}

type Ready = Pending<QueuedEntry>;

export class BatchAppender {
  readonly #store: Store;
  readonly #signer: LogSigner;
  readonly #options: AppenderOptions;
  #queue: Pending[] = [];
  /** Cancels the scheduled start of the next batch, when one is scheduled. */
  #cancelScheduled: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  /** The tree as this process last committed it; reused when no other process appended since. */
  #tree: CompactRange | undefined;
  #lastHistoryAt = 0;

  constructor(store: Store, signer: LogSigner, options: AppenderOptions) {
    this.#store = store;
    this.#signer = signer;
    this.#options = options;
  }

  /**
   * Queues an entry; resolves with its index once it is durable. A preparation that fails rejects
   * its own append only; the rest of its batch goes on.
   */
  append(entry: EntrySource): Promise<number> {
    if (this.#closed)
      return Promise.reject(new ZtError('shutting-down', 'the audit log is closing'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything queued before the call is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#running !== undefined) {
      if (this.#running === undefined) this.#start();
      await this.#running;
    }
  }

  /** Refuses new appends and flushes the queue. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #schedule(): void {
    if (this.#running !== undefined) return;
    if (this.#queue.length >= this.#options.batchMaxEntries) {
      this.#start();
    } else if (this.#cancelScheduled === undefined) {
      this.#cancelScheduled = this.#scheduleStart(this.#options.batchMaxDelayMs);
    }
  }

  /**
   * Delay 0 is group commit: the batch starts after this turn of the event loop (what arrived in it
   * is one batch), and what arrives during a commit is the next batch.
   */
  #scheduleStart(delayMs: number): () => void {
    if (delayMs === 0) {
      const immediate = setImmediate(() => this.#start());
      return () => clearImmediate(immediate);
    }
    const timeout = setTimeout(() => this.#start(), delayMs);
    return () => clearTimeout(timeout);
  }

  #start(): void {
    this.#cancelScheduled?.();
    this.#cancelScheduled = undefined;
    if (this.#running !== undefined || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#options.batchMaxEntries);
    this.#running = this.#prepareAndCommit(batch).finally(() => {
      this.#running = undefined;
      // Entries that arrived during the commit have waited long enough: go again at once.
      if (this.#queue.length > 0) this.#start();
    });
  }

  async #prepareAndCommit(batch: Pending[]): Promise<void> {
    const ready = batch.every(isReady) ? batch : await prepared(batch);
    if (ready.length > 0) await this.#commit(ready);
  }

  async #commit(batch: Ready[]): Promise<void> {
    try {
      // The peaks of the tree this process last committed, when no other process appended since.
      const cached = (size: number): readonly Uint8Array[] | undefined =>
        this.#tree?.size === size ? this.#tree.peaks() : undefined;
      const { first, tree, keptAt } = await this.#store.appendAuditBatch({
        needs: (size) => (cached(size) === undefined ? peakCoordinates(size) : []),
        build: (size, stored) => this.#integrate(size, cached(size) ?? stored, batch),
      });
      this.#tree = tree;
      if (keptAt !== undefined) this.#lastHistoryAt = keptAt;
      batch.forEach((pending, i) => pending.resolve(first + i));
    } catch (error) {
      this.#tree = undefined;
      const failure = error instanceof ZtError ? error : storeFailure(error);
      for (const pending of batch) pending.reject(failure);
    }
  }

  /** The rows of `batch` on top of a log of `size` entries whose peaks are `peaks`. */
  #integrate(
    size: number,
    peaks: readonly Uint8Array[],
    batch: readonly Ready[],
  ): {
    rows: AuditBatchRows;
    result: { first: number; tree: CompactRange; keptAt: number | undefined };
  } {
    const tree = CompactRange.fromPeaks(size, [...peaks]);
    const entries: AuditEntryRow[] = [];
    const nodes: AuditNodeRow[] = [];
    for (const pending of batch) {
      const entry = entryText(pending.entry.event, tree.size);
      entries.push({ idx: tree.size, entry });
      tree.append(leafHash(Buffer.from(entry, 'utf8')), (level, idx, hash) =>
        nodes.push({ level, idx, hash }),
      );
    }
    const now = this.#options.now();
    const root = tree.root();
    const checkpoint = this.#signer.signNote(
      formatCheckpoint({
        origin: this.#signer.name,
        size: tree.size,
        rootHash: root,
        extensions: [],
      }),
    );
    const kept = now.getTime() - this.#lastHistoryAt >= this.#options.checkpointHistoryIntervalMs;
    return {
      rows: {
        entries,
        nodes,
        payloads: batch.flatMap((p) => p.entry.payloads),
        head: { size: tree.size, root, checkpoint, updated_at: now.toISOString() },
        keepCheckpoint: kept,
      },
      result: { first: size, tree, keptAt: kept ? now.getTime() : undefined },
    };
  }
}

const isReady = (pending: Pending): pending is Ready => typeof pending.entry !== 'function';

/** Runs the preparations in `batch`; rejects the appends whose preparation failed. */
async function prepared(batch: readonly Pending[]): Promise<Ready[]> {
  const entries = await Promise.allSettled(
    batch.map((p) => (isReady(p) ? p.entry : (p.entry as () => Promise<QueuedEntry>)())),
  );
  const ready: Ready[] = [];
  entries.forEach((entry, i) => {
    const pending = batch[i] as Pending;
    if (entry.status === 'fulfilled') ready.push({ ...pending, entry: entry.value });
    else
      pending.reject(entry.reason instanceof ZtError ? entry.reason : storeFailure(entry.reason));
  });
  return ready;
}

function storeFailure(error: unknown): ZtError {
  const wrapped = toZtError(error);
  return wrapped.code === 'internal'
    ? new ZtError('store-unavailable', 'the audit log could not commit', { cause: error })
    : wrapped;
}
