// Tool pinning (rug-pull defence): the MCP gateway lets an agent see and call an upstream tool only
// while the tool's definition is the one an operator approved. A new tool waits for approval, a
// changed one is blocked until re-approved, a name that two servers offer (shadowing) and hidden
// instructions in a definition are flagged, and every step is an audit event.
import { ZtError } from '../errors.js';
import { Operators } from '../grants/operators.js';
import type { AuditSink } from '../identity/index.js';
import type { ToolPinRow, ToolPinStatus } from '../store/schema.js';
import type { Store } from '../store/index.js';
import { escapeInvisible, hiddenInstructionFlags } from './hidden-instructions.js';
import { type Expected, type PinSummary, ToolPinStore } from './tool-pin-store.js';
import {
  isDigest,
  type PinnedDefinition,
  parseToolKey,
  pinDefinition,
  type ToolDefinition,
} from './tool-digest.js';

export type { ToolDefinition } from './tool-digest.js';

/** Only `approved` tools may be listed to agents or called. */
export type PinStatus = ToolPinStatus;

/** One tool as operators see it (`zt4ai tool list`). */
export interface ToolPinEntry {
  readonly tool: string;
  readonly server: string;
  readonly name: string;
  readonly status: PinStatus;
  /** Digest of the definition the upstream offered last. */
  readonly digest: string;
  readonly approvedDigest?: string;
  /** Hidden-instruction flags of the definition offered last (`rule@where`). */
  readonly flags: string[];
  /** What the approver explicitly accepted (flags and `shadowing@server/name`). */
  readonly acceptedFlags?: string[];
  /** Tools of other servers whose names look the same (`server/name`). */
  readonly shadowedBy: string[];
  readonly firstSeen: string;
  readonly updatedAt: string;
  readonly approvedBy?: string;
  readonly approvedAt?: string;
  readonly blockedBy?: string;
  readonly blockedAt?: string;
  readonly blockReason?: string;
}

export interface ToolPinsOptions {
  store: Store;
  audit: AuditSink;
  now?: (() => Date) | undefined;
  /** Trust on first use (development): unflagged, unshadowed new tools are approved on sight. */
  autoApprove?: boolean | undefined;
}

/** Who approved a tool under trust on first use (not an operator name: those have no `:`). */
export const AUTO_APPROVER = 'auto:first-use';
const GATEWAY_ACTOR = 'gateway';
/** How long the approved digests read from the store are trusted while the change token holds. */
const CACHE_MAX_AGE_MS = 5000;
const MAX_TOOLS_PER_REVIEW = 5000;
const MAX_REASON_LENGTH = 1000;
const CAS_ATTEMPTS = 3;
const MEMO_SIZE = 10_000;

interface ApprovedCache {
  readonly token: string;
  readonly loadedAt: number;
  /** `server/name` → approved digest, as the store said under `token`. */
  readonly approved: Map<string, string>;
}

export class ToolPins {
  readonly #store: Store;
  readonly #pins: ToolPinStore;
  readonly #operators: Operators;
  readonly #audit: AuditSink;
  readonly #now: () => Date;
  readonly #autoApprove: boolean;
  #cache: ApprovedCache | undefined;
  readonly #flagMemo = new Map<string, string[]>();
  readonly #reportedInvalid = new Set<string>();

  constructor(options: ToolPinsOptions) {
    this.#store = options.store;
    this.#pins = new ToolPinStore(options.store.db);
    this.#now = options.now ?? (() => new Date());
    this.#operators = new Operators(options.store.db, this.#now);
    this.#audit = options.audit;
    this.#autoApprove = options.autoApprove === true;
  }

  /**
   * Records and compares the definitions an upstream offers; returns each tool's status keyed
   * `server/name`. New tools are `pending` until an operator approves them, unless autoApprove is
   * set (then unflagged, unshadowed new tools are approved on first sight); a changed definition is
   * `changed` even with autoApprove; an invalid or ambiguous definition is `blocked`.
   * When nothing changed it MUST NOT read the store more than once (none while its cache holds),
   * and it MUST NOT report `approved` for a definition other than the approved one.
   */
  async review(definitions: readonly ToolDefinition[]): Promise<Map<string, PinStatus>> {
    if (!Array.isArray(definitions)) throw new TypeError('definitions must be an array');
    if (definitions.length > MAX_TOOLS_PER_REVIEW) {
      throw new ZtError(
        'tool-definition-invalid',
        `an upstream may offer at most ${MAX_TOOLS_PER_REVIEW} tools`,
      );
    }
    const statuses = new Map<string, PinStatus>();
    const offers = await this.#parse(definitions, statuses);
    if (this.#cachedApproved(offers)) {
      for (const offer of offers) statuses.set(offer.tool, 'approved');
      return statuses;
    }
    const token = this.#store.changeToken();
    const rows = await this.#pins.byShadowKeys(offers.map((o) => o.shadowKey));
    const results = await Promise.all(offers.map((offer) => this.#reconcile(offer, rows, offers)));
    offers.forEach((offer, i) => statuses.set(offer.tool, results[i] ?? 'blocked'));
    this.#remember(token, offers, results);
    return statuses;
  }

  /**
   * Approves the definition with `digest`, which MUST be the one the upstream offered last (an
   * operator cannot approve a definition they have not seen). A flagged or shadowing tool needs
   * `acceptFlags`; what was accepted is recorded. Approver or admin role only.
   */
  async approve(
    tool: string,
    digest: string,
    operator: string,
    options: { acceptFlags?: boolean } = {},
  ): Promise<void> {
    await this.#operators.requireApprover(operator);
    const { server, name } = parseToolKey(tool);
    if (!isDigest(digest)) throw new ZtError('invalid-argument', 'a digest is "sha256:<64 hex>"');
    const row = await this.#existing(server, name);
    if (row.digest !== digest) {
      throw new ZtError(
        'tool-digest-mismatch',
        'the upstream now offers another definition of this tool; list it and approve what it offers',
      );
    }
    if (row.status === 'approved')
      throw new ZtError('tool-not-pending', 'this definition is already approved');
    const accepted = await this.#flagsToAccept(row);
    if (accepted.length > 0 && options.acceptFlags !== true) {
      throw new ZtError(
        'tool-flags-not-accepted',
        `the tool is flagged (${accepted.join(', ')}); approve it with --accept-flags to accept that`,
        { detail: { flags: accepted.length } },
      );
    }
    await this.#markApproved(row, operator, accepted);
  }

  /** Blocks a tool whatever its state until it is approved again. Approver or admin role only. */
  async block(tool: string, operator: string, reason: string): Promise<void> {
    await this.#operators.requireApprover(operator);
    const { server, name } = parseToolKey(tool);
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH)
      throw new ZtError('invalid-argument', 'a block needs a reason of 1 to 1000 characters');
    const row = await this.#existing(server, name);
    const at = this.#now().toISOString();
    const set = { blocked_by: operator, blocked_at: at, block_reason: reason, updated_at: at };
    if (!(await this.#pins.block(server, name, set)))
      throw new ZtError('unknown-tool', 'no upstream has offered this tool');
    this.#cache = undefined;
    await this.#store.announceChange();
    // Blocked stays blocked if the audit entry cannot be written (fail closed); the error surfaces.
    await this.#record('tool.blocked', operator, {
      tool,
      digest: row.digest,
      from: row.status,
      reason,
    });
  }

  /** Every tool any upstream has offered, with its state, flags and shadows (sorted by tool). */
  async list(): Promise<ToolPinEntry[]> {
    const rows = await this.#pins.all();
    const entries = rows.map((row) => entryOf(row, shadowsOf(row, rows)));
    // Sorted here, by code unit: the two drivers' collations order text differently.
    return entries.sort((a, b) => (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
  }

  /** One tool with the definition it offered last (what an operator reads before approving). */
  async show(tool: string): Promise<ToolPinEntry & { definition: unknown }> {
    const { server, name } = parseToolKey(tool);
    const row = await this.#pins.get(server, name);
    if (row === undefined) throw new ZtError('unknown-tool', 'no upstream has offered this tool');
    const shadows = await this.#pins.byShadowKeys([row.shadow_key]);
    return { ...entryOf(row, shadowsOf(row, shadows)), definition: JSON.parse(row.definition) };
  }

  // ── review steps ───────────────────────────────────────────────────────────────────────────

  /** Valid, unambiguous offers; anything else is `blocked` in `statuses` and reported once. */
  async #parse(
    definitions: readonly ToolDefinition[],
    statuses: Map<string, PinStatus>,
  ): Promise<PinnedDefinition[]> {
    const offers = new Map<string, PinnedDefinition>();
    const ambiguous = new Set<string>();
    for (const definition of definitions) {
      let offer: PinnedDefinition;
      try {
        if (typeof definition !== 'object' || definition === null)
          throw new ZtError('tool-definition-invalid', 'a tool definition must be an object');
        offer = pinDefinition(definition);
      } catch (error) {
        if (!(error instanceof ZtError)) throw error;
        const key = looseKey(definition);
        ambiguous.add(key);
        await this.#reportInvalid(key, error.message);
        continue;
      }
      const seen = offers.get(offer.tool);
      if (seen !== undefined && seen.digest !== offer.digest) ambiguous.add(offer.tool);
      offers.set(offer.tool, offer);
    }
    // A tool offered twice (differently, or once invalid) is blocked: which one would be called?
    for (const tool of ambiguous) {
      if (offers.delete(tool))
        await this.#reportInvalid(tool, 'offered twice with different definitions');
      statuses.set(tool, 'blocked');
    }
    return [...offers.values()];
  }

  #cachedApproved(offers: readonly PinnedDefinition[]): boolean {
    const cache = this.#cache;
    if (cache === undefined || cache.token !== this.#store.changeToken()) return false;
    if (Date.now() - cache.loadedAt >= CACHE_MAX_AGE_MS) return false;
    return offers.every((offer) => cache.approved.get(offer.tool) === offer.digest);
  }

  /** Keeps the approved digests just read, under the token read before the store was. */
  #remember(token: string, offers: readonly PinnedDefinition[], results: PinStatus[]): void {
    const current = this.#cache;
    // A cache past its age starts anew, else it would never be used again under a steady token.
    const cache =
      current?.token === token && Date.now() - current.loadedAt < CACHE_MAX_AGE_MS
        ? current
        : { token, loadedAt: Date.now(), approved: new Map<string, string>() };
    offers.forEach((offer, i) => {
      if (results[i] === 'approved') cache.approved.set(offer.tool, offer.digest);
      else cache.approved.delete(offer.tool);
    });
    this.#cache = cache;
  }

  /**
   * The status of one offered tool after recording what changed. A write that loses a race with
   * another process is retried on what that process wrote; if that keeps failing the answer is
   * never `approved` unless the store holds an approval of exactly this digest.
   */
  async #reconcile(
    offer: PinnedDefinition,
    rows: readonly PinSummary[],
    offers: readonly PinnedDefinition[],
  ): Promise<PinStatus> {
    let row = rows.find((r) => r.server === offer.server && r.name === offer.name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const status =
        row === undefined
          ? await this.#firstSeen(offer, shadowsOfOffer(offer, rows, offers))
          : await this.#seenAgain(offer, row);
      if (status !== undefined) return status;
      row = await this.#pins.summary(offer.server, offer.name);
    }
    return row === undefined ? 'pending' : statusFor(row, offer.digest);
  }

  /** A tool never seen: recorded pending (and approved at once under trust on first use). */
  async #firstSeen(
    offer: PinnedDefinition,
    seenShadows: readonly string[],
  ): Promise<PinStatus | undefined> {
    const flags = this.#flagsOf(offer);
    const at = this.#now().toISOString();
    const row = newRow(offer, flags, at);
    if (!(await this.#pins.insert(row))) return undefined;
    let shadowedBy: string[];
    try {
      // Shadows are read again after the insert: of two servers inserting look-alike names at
      // once, at least the later one sees the other: the pair is never approved both unflagged.
      const stored = await this.#pins.byShadowKeys([offer.shadowKey]);
      shadowedBy = [...new Set([...seenShadows, ...shadowsOf(row, stored)])].sort();
      await this.#recordDetection(offer, flags, shadowedBy);
    } catch (error) {
      // No tool without its audit entry: the next review detects it again.
      await this.#pins.remove(offer.server, offer.name, {
        digest: offer.digest,
        status: 'pending',
      });
      throw error;
    }
    if (!this.#autoApprove || flags.length > 0 || shadowedBy.length > 0) return 'pending';
    return (await this.#markApproved(row, AUTO_APPROVER, [])) ? 'approved' : undefined;
  }

  async #recordDetection(
    offer: PinnedDefinition,
    flags: readonly string[],
    shadowedBy: readonly string[],
  ): Promise<void> {
    const tool = offer.tool;
    await this.#record('tool.pending', GATEWAY_ACTOR, { tool, digest: offer.digest, flags });
    if (flags.length > 0)
      await this.#record('tool.flagged', GATEWAY_ACTOR, { tool, digest: offer.digest, flags });
    if (shadowedBy.length > 0)
      await this.#record('tool.shadowed', GATEWAY_ACTOR, {
        tool,
        digest: offer.digest,
        shadowedBy,
      });
  }

  /** A known tool: unchanged costs nothing; another definition is recorded and blocks the tool. */
  async #seenAgain(offer: PinnedDefinition, row: PinSummary): Promise<PinStatus | undefined> {
    if (row.digest === offer.digest) return statusFor(row, offer.digest);
    const previous = await this.#pins.get(offer.server, offer.name);
    if (previous === undefined || previous.digest !== row.digest) return undefined;
    const flags = this.#flagsOf(offer);
    const status: PinStatus =
      row.status === 'blocked' ? 'blocked' : row.approved_digest === null ? 'pending' : 'changed';
    const expected = { digest: row.digest, status: row.status };
    const changed = {
      digest: offer.digest,
      definition: offer.canonical,
      flags: JSON.stringify(flags),
      shadow_key: offer.shadowKey,
      status,
      updated_at: this.#now().toISOString(),
    };
    if (!(await this.#pins.compareAndSet(offer.server, offer.name, expected, changed)))
      return undefined;
    this.#cache = undefined;
    await this.#store.announceChange();
    try {
      await this.#recordChange(offer, row, status, flags);
    } catch (error) {
      // Undo, so that the next review detects (and records) the change again. This review fails,
      // and the gateway, failing closed, offers none of these tools meanwhile.
      const undo = {
        digest: previous.digest,
        definition: previous.definition,
        flags: previous.flags,
        shadow_key: previous.shadow_key,
        status: previous.status,
        updated_at: previous.updated_at,
      };
      await this.#pins.compareAndSet(
        offer.server,
        offer.name,
        { digest: offer.digest, status },
        undo,
      );
      throw error;
    }
    return status;
  }

  async #recordChange(
    offer: PinnedDefinition,
    row: PinSummary,
    status: PinStatus,
    flags: readonly string[],
  ): Promise<void> {
    await this.#record('tool.changed', GATEWAY_ACTOR, {
      tool: offer.tool,
      from: row.digest,
      digest: offer.digest,
      approvedDigest: row.approved_digest,
      status,
      flags,
    });
    if (flags.length > 0)
      await this.#record('tool.flagged', GATEWAY_ACTOR, {
        tool: offer.tool,
        digest: offer.digest,
        flags,
      });
  }

  #flagsOf(offer: PinnedDefinition): string[] {
    const memo = this.#flagMemo.get(offer.digest);
    if (memo !== undefined) return memo;
    const flags = hiddenInstructionFlags(offer.definition);
    if (this.#flagMemo.size >= MEMO_SIZE)
      this.#flagMemo.delete(this.#flagMemo.keys().next().value as string);
    this.#flagMemo.set(offer.digest, flags);
    return flags;
  }

  async #reportInvalid(tool: string, reason: string): Promise<void> {
    const key = `${tool}\n${reason}`;
    if (this.#reportedInvalid.has(key)) return;
    if (this.#reportedInvalid.size >= MEMO_SIZE) this.#reportedInvalid.clear();
    await this.#record('tool.invalid', GATEWAY_ACTOR, { tool, reason });
    this.#reportedInvalid.add(key);
  }

  // ── approval steps ─────────────────────────────────────────────────────────────────────────

  async #existing(server: string, name: string): Promise<PinSummary> {
    const row = await this.#pins.summary(server, name);
    if (row === undefined) throw new ZtError('unknown-tool', 'no upstream has offered this tool');
    return row;
  }

  /** The tool's flags and its shadows: what an approver must explicitly accept. */
  async #flagsToAccept(row: PinSummary): Promise<string[]> {
    const shadows = shadowsOf(row, await this.#pins.byShadowKeys([row.shadow_key]));
    return [
      ...parseList(row.flags),
      ...shadows.map((tool) => `shadowing@${escapeInvisible(tool)}`),
    ];
  }

  /**
   * Approves `row`'s digest if the row is still as read, then records it; if the audit entry
   * cannot be written the approval is undone (no approval without its entry). False when the row
   * changed meanwhile (for trust on first use); an operator's approval then fails.
   */
  async #markApproved(
    row: PinSummary,
    approver: string,
    accepted: readonly string[],
  ): Promise<boolean> {
    const at = this.#now().toISOString();
    const expected: Expected = { digest: row.digest, status: row.status };
    const approval = {
      status: 'approved' as const,
      approved_digest: row.digest,
      accepted_flags: JSON.stringify(accepted),
      approved_by: approver,
      approved_at: at,
      blocked_by: null,
      blocked_at: null,
      block_reason: null,
      updated_at: at,
    };
    if (!(await this.#pins.compareAndSet(row.server, row.name, expected, approval))) {
      if (approver === AUTO_APPROVER) return false;
      return this.#lostApproval(row);
    }
    try {
      await this.#record('tool.approved', approver, {
        tool: `${row.server}/${row.name}`,
        digest: row.digest,
        from: row.status,
        previousDigest: row.approved_digest,
        acceptedFlags: accepted,
        ...(approver === AUTO_APPROVER ? { auto: true } : {}),
      });
    } catch (error) {
      await this.#pins.compareAndSet(
        row.server,
        row.name,
        { digest: row.digest, status: 'approved' },
        restoreOf(row),
      );
      throw error;
    }
    this.#cache = undefined;
    await this.#store.announceChange();
    return true;
  }

  /** Why an approval found the row no longer as read: approved meanwhile, or changed. */
  async #lostApproval(row: PinSummary): Promise<never> {
    const now = await this.#pins.summary(row.server, row.name);
    if (now?.status === 'approved' && now.digest === row.digest)
      throw new ZtError('tool-not-pending', 'this definition is already approved');
    throw new ZtError(
      'tool-digest-mismatch',
      'the tool changed, or was blocked, while it was being approved; list it and decide again',
    );
  }

  async #record(type: string, actor: string, fields: Record<string, unknown>): Promise<void> {
    await this.#audit.append({ type, actor, ...fields });
  }
}

/** The status a stored pin gives a tool offered with `digest` (never approved for another digest). */
function statusFor(row: PinSummary, digest: string): PinStatus {
  if (row.status === 'blocked') return 'blocked';
  if (row.digest !== digest) return row.approved_digest === null ? 'pending' : 'changed';
  return row.status;
}

function newRow(offer: PinnedDefinition, flags: readonly string[], at: string): ToolPinRow {
  return {
    server: offer.server,
    name: offer.name,
    shadow_key: offer.shadowKey,
    digest: offer.digest,
    definition: offer.canonical,
    flags: JSON.stringify(flags),
    status: 'pending',
    approved_digest: null,
    accepted_flags: null,
    approved_by: null,
    approved_at: null,
    blocked_by: null,
    blocked_at: null,
    block_reason: null,
    first_seen: at,
    updated_at: at,
  };
}

/** The approval columns as they were before an approval that is being undone. */
function restoreOf(row: PinSummary): Partial<ToolPinRow> {
  return {
    status: row.status,
    approved_digest: row.approved_digest,
    accepted_flags: row.accepted_flags,
    approved_by: row.approved_by,
    approved_at: row.approved_at,
    blocked_by: row.blocked_by,
    blocked_at: row.blocked_at,
    block_reason: row.block_reason,
    updated_at: row.updated_at,
  };
}

/** Tools of other servers with the same shadowing key, among stored pins. */
function shadowsOf(row: PinSummary, rows: readonly PinSummary[]): string[] {
  const shadows = rows
    .filter((r) => r.shadow_key === row.shadow_key && r.server !== row.server)
    .map((r) => `${r.server}/${r.name}`);
  return [...new Set(shadows)].sort();
}

/** Tools of other servers with the same shadowing key, among stored pins and this review's offers. */
function shadowsOfOffer(
  offer: PinnedDefinition,
  rows: readonly PinSummary[],
  offers: readonly PinnedDefinition[],
): string[] {
  const tools = [
    ...rows.filter((r) => r.shadow_key === offer.shadowKey && r.server !== offer.server),
    ...offers.filter((o) => o.shadowKey === offer.shadowKey && o.server !== offer.server),
  ].map((t) => `${t.server}/${t.name}`);
  return [...new Set(tools)].sort();
}

function entryOf(row: PinSummary, shadowedBy: string[]): ToolPinEntry {
  return {
    tool: `${row.server}/${row.name}`,
    server: row.server,
    name: row.name,
    status: row.status,
    digest: row.digest,
    ...(row.approved_digest === null ? {} : { approvedDigest: row.approved_digest }),
    flags: parseList(row.flags),
    ...(row.accepted_flags === null ? {} : { acceptedFlags: parseList(row.accepted_flags) }),
    shadowedBy,
    firstSeen: row.first_seen,
    updatedAt: row.updated_at,
    ...(row.approved_by === null ? {} : { approvedBy: row.approved_by }),
    ...(row.approved_at === null ? {} : { approvedAt: row.approved_at }),
    ...(row.blocked_by === null ? {} : { blockedBy: row.blocked_by }),
    ...(row.blocked_at === null ? {} : { blockedAt: row.blocked_at }),
    ...(row.block_reason === null ? {} : { blockReason: row.block_reason }),
  };
}

function parseList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The `server/name` key of a definition that failed its checks, bounded. */
function looseKey(definition: unknown): string {
  const d = (typeof definition === 'object' && definition !== null ? definition : {}) as {
    server?: unknown;
    name?: unknown;
  };
  const part = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 200) : '?');
  return `${part(d.server)}/${part(d.name)}`;
}
