// What "terminate its open sessions" reaches (docs/containment.md): the enforcement points of this
// process register their live connections — MCP sessions, LLM streams in flight — and containment
// ends an agent's at once. A quarantine, revocation or kill switch written by another process
// arrives as a move of the store's change token: the watcher then ends the live connections of
// every agent that may no longer act.

/** An enforcement point's long-lived connections, by agent. */
export interface LiveSessions {
  /** Agents holding at least one live connection here. */
  liveAgents(): Iterable<string>;
  /** Ends every live connection of `agent`; resolves with how many were ended. */
  terminate(agent: string): Promise<number>;
}

export interface SessionWatchDeps {
  readonly changeToken: () => string;
  /** The status an agent acts under now (`active` may act). */
  readonly agentStatus: (agent: string) => Promise<string | undefined>;
  readonly onError: (error: unknown) => void;
}

/** How often the change token is compared (a synchronous read: cheap). */
const WATCH_EVERY_MS = 100;

export class SessionRegistry {
  readonly #points = new Set<LiveSessions>();
  #timer: NodeJS.Timeout | undefined;
  #seen = '';
  #sweeping = false;

  /** Registers an enforcement point; returns its removal. */
  add(point: LiveSessions): () => void {
    this.#points.add(point);
    return () => this.#points.delete(point);
  }

  /** Ends every live connection of `agent` in this process. */
  async terminate(agent: string): Promise<number> {
    const ended = await Promise.all([...this.#points].map((p) => p.terminate(agent)));
    return ended.reduce((sum, n) => sum + n, 0);
  }

  /** Watches for containment written elsewhere (another process sharing the store). */
  watch(deps: SessionWatchDeps): void {
    if (this.#timer !== undefined) return;
    this.#seen = deps.changeToken();
    this.#timer = setInterval(() => {
      const token = deps.changeToken();
      if (token === this.#seen || this.#sweeping) return;
      this.#seen = token;
      this.#sweeping = true;
      this.#sweep(deps)
        .catch(deps.onError)
        .finally(() => {
          this.#sweeping = false;
        });
    }, WATCH_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sweep(deps: SessionWatchDeps): Promise<void> {
    const agents = new Set([...this.#points].flatMap((p) => [...p.liveAgents()]));
    for (const agent of agents)
      if ((await deps.agentStatus(agent)) !== 'active') await this.terminate(agent);
  }
}
