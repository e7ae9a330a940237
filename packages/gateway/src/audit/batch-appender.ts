// Sequences, integrates and publishes audit entries in batches (DESIGN §5, as in Tessera's append
// lifecycle). One transaction per batch assigns indexes, writes entries and tree nodes, and signs a
// checkpoint; many processes may append to one PostgreSQL store, serialized by an advisory lock.
//
// Contract: append() MUST NOT resolve an index before the entry, its tree nodes and a checkpoint
// covering it are committed durably; a failed batch rejects every append in it and writes nothing.
import { CompactRange, formatCheckpoint, leafHash, peakCoordinates } from '@zt4ai/verify';
import type { Kysely } from 'kysely';
import { ZtError, toZtError } from '../errors.js';
import type { AuditNodeRow, AuditPayloadRow, Database, Store } from '../store/index.js';
import { entryText, type PreparedEvent } from './entry.js';
import type { LogSigner } from './log-signer.js';
import { readNodes } from './node-reader.js';

export interface AppenderOptions {
  readonly batchMaxEntries: number;
  readonly batchMaxDelayMs: number;
  readonly checkpointHistoryIntervalMs: number;
  readonly now: () => Date;
}

interface Pending {
  readonly event: PreparedEvent;
  readonly payloads: readonly AuditPayloadRow[];
  readonly resolve: (index: number) => void;
  readonly reject: (error: ZtError) => void;
}

/** Rows per INSERT statement: keeps every statement under SQLite's and pg's parameter limits. */
const INSERT_CHUNK = 1000;

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

  /** Queues an event; resolves with its index once it is durable. */
  append(event: PreparedEvent, payloads: readonly AuditPayloadRow[] = []): Promise<number> {
    if (this.#closed)
      return Promise.reject(new ZtError('shutting-down', 'the audit log is closing'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, payloads, resolve, reject });
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
    this.#running = this.#commit(batch).finally(() => {
      this.#running = undefined;
      // Entries that arrived during the commit have waited long enough: go again at once.
      if (this.#queue.length > 0) this.#start();
    });
  }

  async #commit(batch: Pending[]): Promise<void> {
    try {
      const { first, tree } = await this.#store.exclusive('audit-sequencer', (trx) =>
        this.#integrate(trx, batch),
      );
      this.#tree = tree;
      batch.forEach((pending, i) => pending.resolve(first + i));
    } catch (error) {
      this.#tree = undefined;
      const failure = error instanceof ZtError ? error : storeFailure(error);
      for (const pending of batch) pending.reject(failure);
    }
  }

  async #integrate(
    trx: Kysely<Database>,
    batch: readonly Pending[],
  ): Promise<{ first: number; tree: CompactRange }> {
    const head = await trx
      .selectFrom('audit_head')
      .select('size')
      .where('id', '=', 1)
      .executeTakeFirst();
    const tree = await this.#treeAt(trx, head?.size ?? 0);
    const first = tree.size;
    const entries: Array<{ idx: number; entry: string }> = [];
    const nodes: AuditNodeRow[] = [];
    for (const pending of batch) {
      const entry = entryText(pending.event, tree.size);
      entries.push({ idx: tree.size, entry });
      tree.append(leafHash(Buffer.from(entry, 'utf8')), (level, idx, hash) =>
        nodes.push({ level, idx, hash }),
      );
    }
    await inChunks(entries, (rows) => trx.insertInto('audit_entries').values(rows).execute());
    await inChunks(nodes, (rows) => trx.insertInto('audit_nodes').values(rows).execute());
    const payloads = batch.flatMap((p) => p.payloads);
    await inChunks(payloads, (rows) => trx.insertInto('audit_payloads').values(rows).execute());
    await this.#publish(trx, tree);
    return { first, tree };
  }

  /** Signs a checkpoint for the new tree and makes it the head; keeps a sample in the history. */
  async #publish(trx: Kysely<Database>, tree: CompactRange): Promise<void> {
    const root = tree.root();
    const body = formatCheckpoint({
      origin: this.#signer.name,
      size: tree.size,
      rootHash: root,
      extensions: [],
    });
    const checkpoint = this.#signer.signNote(body);
    const now = this.#options.now();
    const head = { size: tree.size, root, checkpoint, updated_at: now.toISOString() };
    await trx
      .insertInto('audit_head')
      .values({ id: 1, ...head })
      .onConflict((oc) => oc.column('id').doUpdateSet(head))
      .execute();
    if (now.getTime() - this.#lastHistoryAt >= this.#options.checkpointHistoryIntervalMs) {
      this.#lastHistoryAt = now.getTime();
      await trx
        .insertInto('audit_checkpoints')
        .values({ size: tree.size, checkpoint, created_at: head.updated_at })
        .onConflict((oc) => oc.column('size').doNothing())
        .execute();
    }
  }

  /** The compact range of the committed tree of `size` leaves, from cache or from stored peaks. */
  async #treeAt(trx: Kysely<Database>, size: number): Promise<CompactRange> {
    const cached = this.#tree;
    if (cached !== undefined && cached.size === size)
      return CompactRange.fromPeaks(size, cached.peaks());
    return CompactRange.fromPeaks(size, await readNodes(trx, peakCoordinates(size)));
  }
}

/** Writes rows in statements of at most INSERT_CHUNK rows. */
async function inChunks<T>(
  rows: readonly T[],
  write: (chunk: T[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await write(rows.slice(start, start + INSERT_CHUNK));
  }
}

function storeFailure(error: unknown): ZtError {
  const wrapped = toZtError(error);
  return wrapped.code === 'internal'
    ? new ZtError('store-unavailable', 'the audit log could not commit', { cause: error })
    : wrapped;
}
