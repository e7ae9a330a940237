// Where the gateway keeps taint (docs/mcp-gateway.md, "Taint"): one SessionTaint per agent, shared by
// all of its 2025-era sessions and 2026-era stateless requests. A session id or a conversation id is
// chosen by the agent — the party taint protects against when injected content steers it — so
// neither may scope taint: reconnecting must not shed labels. Memory is bounded per agent
// (SessionTaint) and an agent's taint is dropped after it has been idle for `idleMs`.
import { SessionTaint } from '../detectors/labels.js';

interface Entry {
  readonly taint: SessionTaint;
  usedAt: number;
}

export class TaintRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(idleMs: number, now: () => number = Date.now) {
    this.#idleMs = idleMs;
    this.#now = now;
  }

  /** The taint of `agent`, created on first use; using it keeps it alive. */
  of(agent: string): SessionTaint {
    const now = this.#now();
    const entry = this.#entries.get(agent);
    if (entry !== undefined && now - entry.usedAt < this.#idleMs) {
      entry.usedAt = now;
      return entry.taint;
    }
    const fresh = { taint: new SessionTaint(), usedAt: now };
    this.#entries.set(agent, fresh);
    return fresh.taint;
  }

  /** Drops every agent's taint idle for longer than the limit. */
  sweep(): void {
    const now = this.#now();
    for (const [agent, entry] of this.#entries)
      if (now - entry.usedAt >= this.#idleMs) this.#entries.delete(agent);
  }
}
