// The audit log (DESIGN §5): append events, read entries, serve proofs and checkpoints, verify,
// export, and hold payloads beside the log. The one object the rest of the gateway talks to.
import { EMPTY_ROOT, formatCheckpoint, toBase64, verifyCheckpoint } from '@zt4ai/verify';
import { ZtError } from '../errors.js';
import type { AuditPayloadRow, Store } from '../store/index.js';
import { BatchAppender, type EntrySource, type QueuedEntry } from './batch-appender.js';
import { prepareEvent } from './entry.js';
import type { LogSigner } from './log-signer.js';
import { PayloadVault } from './payload-vault.js';
import {
  consistencyProof,
  type ConsistencyProof,
  inclusionProof,
  type InclusionProof,
  inclusionProofJson,
} from './proofs.js';
import { type LogReport, verifyLog } from './verify-log.js';

export interface AuditLogOptions {
  readonly signer: LogSigner;
  readonly masterKey: Buffer;
  readonly maxEntryBytes: number;
  readonly batchMaxEntries: number;
  readonly batchMaxDelayMs: number;
  readonly checkpointHistoryIntervalMs: number;
  readonly now?: () => Date;
}

export interface AppendOptions {
  /** Sensitive payloads (prompts, completions, tool arguments) stored encrypted beside the entry. */
  readonly payloads?: Readonly<Record<string, string | Uint8Array>>;
  /**
   * The caller hands the event and its payloads over and never changes them again: the log checks,
   * canonicalizes and seals them when their batch forms instead of before append returns. What the
   * caller awaits is the same; the work is off the caller's own path.
   */
  readonly handOver?: boolean;
}

/** An event as it was recorded: its index and its members (with `time`, without payloads). */
export interface RecordedEvent {
  readonly index: number;
  readonly event: Readonly<Record<string, unknown>> & { readonly type: string };
}

/**
 * Sees every event this process records, once it is durable. A returned promise is awaited before
 * the append resolves (containment must be in force when the caller learns the index); a listener
 * that throws or rejects is reported to its error handler and never fails the append.
 */
export type RecordListener = (recorded: RecordedEvent) => void | Promise<void>;

/** Entries and their inclusion proofs at the size `checkpoint` signs (see provenEntries). */
export interface ProvenEntries {
  readonly checkpoint: string;
  readonly vkey: string;
  readonly entries: ReadonlyArray<{
    readonly index: number;
    readonly entry: string;
    readonly proof: ReturnType<typeof inclusionProofJson>;
  }>;
}

export interface LogEntry {
  readonly index: number;
  readonly entry: string;
}

const PAYLOAD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_PAGE = 1000;

export class AuditLog {
  readonly #store: Store;
  readonly #signer: LogSigner;
  readonly #appender: BatchAppender;
  readonly #vault: PayloadVault;
  readonly #maxEntryBytes: number;
  readonly #now: () => Date;
  /** Listeners and where each one's failures go. */
  readonly #listeners = new Map<RecordListener, (error: unknown) => void>();

  private constructor(store: Store, options: AuditLogOptions) {
    this.#store = store;
    this.#signer = options.signer;
    this.#maxEntryBytes = options.maxEntryBytes;
    this.#now = options.now ?? (() => new Date());
    this.#appender = new BatchAppender(store, options.signer, { ...options, now: this.#now });
    this.#vault = new PayloadVault(store.db, options.masterKey, this.#now, () =>
      store.changeToken(),
    );
  }

  /** Opens the log on `store`; refuses a store whose checkpoints were signed by another key. */
  static async open(store: Store, options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(store, options);
    const head = await log.#head();
    if (head !== undefined) {
      try {
        verifyCheckpoint(head.checkpoint, options.signer.vkey);
      } catch (cause) {
        throw new ZtError(
          'log-key-mismatch',
          'the audit log in the store was signed with a different key',
          { cause },
        );
      }
    }
    return log;
  }

  /** The log's verifier key in C2SP form. */
  get vkey(): string {
    return this.#signer.vkey;
  }

  /** Throws the error that append() would give `event` for its shape or size. */
  check(event: unknown): void {
    prepareEvent(event, this.#maxEntryBytes);
  }

  /**
   * Appends one untrusted event; resolves with its index once durable. Payloads are encrypted under
   * the key of the event's `agent` and the entry carries their digests under `payloads`.
   */
  async append(event: unknown, options: AppendOptions = {}): Promise<number> {
    const time = (event as { time?: unknown } | null)?.time ?? this.#now().toISOString();
    let entry: EntrySource;
    if (options.handOver === true) {
      entry = async () => this.#prepare(event, options.payloads, time);
    } else {
      // Queued in this very call when there is nothing to seal: a close() right after still waits.
      const ready = this.#prepare(event, options.payloads, time);
      entry = ready instanceof Promise ? await ready : ready;
    }
    const index = await this.#appender.append(entry);
    if (this.#listeners.size > 0)
      await this.#announce(index, event as RecordedEvent['event'], time);
    return index;
  }

  /**
   * Adds a listener for every event recorded from now on; its failures go to `onError`. Returns its
   * removal.
   */
  onRecorded(listener: RecordListener, onError: (error: unknown) => void): () => void {
    this.#listeners.set(listener, onError);
    return () => this.#listeners.delete(listener);
  }

  async #announce(index: number, event: RecordedEvent['event'], time: unknown): Promise<void> {
    const recorded: RecordedEvent = { index, event: { ...event, time } };
    const waits: Promise<void>[] = [];
    for (const [listener, onError] of this.#listeners) {
      try {
        const result = listener(recorded);
        if (result !== undefined) waits.push(result.catch(onError));
      } catch (error) {
        onError(error);
      }
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  /** The event checked and canonicalized, its payloads sealed and their digests added to it. */
  #prepare(
    event: unknown,
    payloads: AppendOptions['payloads'],
    time: unknown,
  ): QueuedEntry | Promise<QueuedEntry> {
    if (payloads === undefined)
      return { event: prepareEvent(event, this.#maxEntryBytes, { time }), payloads: [] };
    return this.#sealed(event, payloads, time);
  }

  async #sealed(
    event: unknown,
    payloads: NonNullable<AppendOptions['payloads']>,
    time: unknown,
  ): Promise<QueuedEntry> {
    this.check(event);
    const { digests, rows } = await this.#sealPayloads(event as Record<string, unknown>, payloads);
    return {
      event: prepareEvent(event, this.#maxEntryBytes, { time, payloads: digests }),
      payloads: rows,
    };
  }

  async #sealPayloads(
    event: Readonly<Record<string, unknown>>,
    payloads: Readonly<Record<string, string | Uint8Array>>,
  ): Promise<{ digests: Record<string, string>; rows: AuditPayloadRow[] }> {
    const agent = event.agent;
    if (typeof agent !== 'string' || agent === '') {
      throw new ZtError('invalid-entry', 'an event with payloads needs an "agent"');
    }
    if (Object.hasOwn(event, 'payloads')) {
      throw new ZtError('invalid-entry', '"payloads" is set by the log and cannot be given');
    }
    const digests: Record<string, string> = {};
    const rows: AuditPayloadRow[] = [];
    for (const [name, value] of Object.entries(payloads)) {
      if (!PAYLOAD_NAME.test(name))
        throw new ZtError('invalid-entry', `invalid payload name "${name}"`);
      const sealed = await this.#vault.seal(
        agent,
        typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
      );
      digests[name] = sealed.digest;
      rows.push(sealed.row);
    }
    return { digests, rows };
  }

  /** Waits until every append made so far is durable. */
  flush(): Promise<void> {
    return this.#appender.flush();
  }

  /** Refuses new appends and flushes pending ones. The store stays open. */
  close(): Promise<void> {
    return this.#appender.close();
  }

  /** Number of integrated entries. */
  async size(): Promise<number> {
    return (await this.#head())?.size ?? 0;
  }

  /** The latest signed checkpoint (a signed checkpoint of the empty tree when nothing is logged). */
  async checkpoint(): Promise<string> {
    const head = await this.#head();
    if (head !== undefined) return head.checkpoint;
    const body = formatCheckpoint({
      origin: this.#signer.name,
      size: 0,
      rootHash: EMPTY_ROOT,
      extensions: [],
    });
    return this.#signer.signNote(body);
  }

  /** Up to `limit` entries (at most 1000) from index `from`, in order. */
  async entries(from: number, limit: number): Promise<LogEntry[]> {
    if (!Number.isSafeInteger(from) || from < 0)
      throw new ZtError('invalid-argument', '"from" must be a non-negative integer');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new ZtError('invalid-argument', `"limit" must be between 1 and ${MAX_PAGE}`);
    }
    const size = await this.size();
    const rows = await this.#store.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('idx', '>=', from)
      .where('idx', '<', size)
      .orderBy('idx')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ index: row.idx, entry: row.entry }));
  }

  /** The last `count` entries, oldest first (read a page at a time). */
  async tail(count: number): Promise<LogEntry[]> {
    const size = await this.size();
    const entries: LogEntry[] = [];
    for (let from = Math.max(0, size - count); from < size; from += MAX_PAGE) {
      entries.push(...(await this.entries(from, Math.min(MAX_PAGE, size - from))));
    }
    return entries;
  }

  /**
   * Entries with inclusion proofs, all against one signed checkpoint: what a reader needs to check
   * offline (with @zt4ai/verify) that each entry is in the log the checkpoint signs.
   */
  async provenEntries(indexes: readonly number[]): Promise<ProvenEntries> {
    const head = await this.#head();
    const size = head?.size ?? 0;
    const entries: ProvenEntries['entries'][number][] = [];
    for (const index of [...new Set(indexes)].sort((a, b) => a - b)) {
      const [entry] = await this.entries(index, 1);
      if (entry === undefined || index >= size)
        throw new ZtError('index-out-of-range', `index must be below ${size}`);
      const proof = await inclusionProof(this.#store.db, size, index, size);
      entries.push({ index, entry: entry.entry, proof: inclusionProofJson(proof) });
    }
    return { checkpoint: head?.checkpoint ?? (await this.checkpoint()), vkey: this.vkey, entries };
  }

  async inclusionProof(index: number, size?: number): Promise<InclusionProof> {
    const committed = await this.size();
    return inclusionProof(this.#store.db, committed, index, size ?? committed);
  }

  async consistencyProof(from: number, to?: number): Promise<ConsistencyProof> {
    const committed = await this.size();
    return consistencyProof(this.#store.db, committed, from, to ?? committed);
  }

  /** Recomputes everything from the store. */
  verify(): Promise<LogReport> {
    return verifyLog(this.#store.db, this.#signer.vkey);
  }

  /**
   * A self-contained bundle (`zt4ai.audit-bundle/v1`) of entries [from, to) with inclusion proofs
   * against the latest checkpoint, as JSON text chunks; `@zt4ai/verify`'s verifyBundle checks it.
   */
  /** Throws `invalid-range` unless [from, to) is a valid export range for the current log. */
  async checkExportRange(from = 0, to?: number): Promise<void> {
    exportEnd(await this.size(), from, to);
  }

  async *exportBundle(from = 0, to?: number): AsyncGenerator<string> {
    const head = await this.#head();
    const size = head?.size ?? 0;
    const end = exportEnd(size, from, to);
    const checkpoint = head?.checkpoint ?? (await this.checkpoint());
    yield `{"format":"zt4ai.audit-bundle/v1","vkey":${JSON.stringify(this.vkey)},"checkpoint":${JSON.stringify(checkpoint)},"entries":[`;
    for (let start = from; start < end; start += MAX_PAGE) {
      const page = await this.entries(start, Math.min(MAX_PAGE, end - start));
      for (const { index, entry } of page) {
        const proof = await inclusionProof(this.#store.db, size, index, size);
        const item = { index, entry, proof: proof.hashes.map(toBase64) };
        yield (index === from ? '' : ',') + JSON.stringify(item);
      }
    }
    yield ']}\n';
  }

  /** Decrypts a payload by the digest its entry commits to; the read itself is audited. */
  async readPayload(digest: string, actor = 'unspecified'): Promise<Uint8Array> {
    const payload = await this.#vault.open(digest);
    await this.append({ type: 'audit.payload.read', actor, digest });
    return payload;
  }

  /** Deletes `agent`'s payload key: its payloads can no longer be read; the log still verifies. */
  async shred(agent: string, actor = 'unspecified'): Promise<boolean> {
    const shredded = await this.#vault.shred(agent);
    await this.#store.announceChange();
    await this.append({ type: 'audit.shred', actor, agent, shredded });
    return shredded;
  }

  async #head(): Promise<{ size: number; checkpoint: string } | undefined> {
    return this.#store.db
      .selectFrom('audit_head')
      .select(['size', 'checkpoint'])
      .where('id', '=', 1)
      .executeTakeFirst();
  }
}

/** The end of the export range [from, to) in a log of `size` entries; throws when it is invalid. */
function exportEnd(size: number, from: number, to: number | undefined): number {
  const end = Math.min(to ?? size, size);
  if (!Number.isSafeInteger(from) || from < 0 || from > end) {
    throw new ZtError('invalid-range', 'invalid export range');
  }
  return end;
}
