// Runs the demo agents: each connects to /mcp with its own identity (the official MCP client over
// the SDK's authenticated fetch), repeats its routine, and plays its scenario steps on time.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AgentIdentity } from '@zt4ai/sdk';
import type { Logger } from 'pino';
import { DEMO_MODEL, type DemoAgent } from './demo-org.js';
import { ROUTINE, ROUTINE_INTERVAL_MS, SCENARIO, type DemoStep } from './demo-script.js';

export interface DemoRun {
  stop(): Promise<void>;
}

export function runDemoAgents(
  agents: readonly DemoAgent[],
  options: { issuer: string; files: string; logger: Logger },
): DemoRun {
  const timers: NodeJS.Timeout[] = [];
  // Ends requests in flight (a long-poll for an approval) when the demo stops.
  const stopping = new AbortController();
  const actors = agents.map(
    (agent) => new DemoActor(agent, { ...options, signal: stopping.signal }),
  );
  let stopped = false;
  actors.forEach((actor, i) => {
    const round = (): void => {
      if (!stopped) void actor.routine();
    };
    timers.push(
      setTimeout(
        () => timers.push(setInterval(round, ROUTINE_INTERVAL_MS)),
        (i * ROUTINE_INTERVAL_MS) / actors.length,
      ),
    );
  });
  for (const { atMs, role, step } of SCENARIO) {
    const actor = actors.find((a) => a.agent.role === role);
    if (actor !== undefined) timers.push(setTimeout(() => void actor.play(step), atMs));
  }
  return {
    stop: async () => {
      stopped = true;
      stopping.abort();
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(actors.map((a) => a.close()));
    },
  };
}

interface ActorOptions {
  readonly issuer: string;
  readonly files: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

class DemoActor {
  readonly agent: DemoAgent;
  readonly #options: ActorOptions;
  #client: Promise<Client> | undefined;
  #busy = false;
  /** After presenting a changed prompt the agent waits for an operator instead of retrying. */
  #waitingForReview = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(agent: DemoAgent, options: ActorOptions) {
    this.agent = agent;
    this.#options = options;
  }

  async routine(): Promise<void> {
    if (this.#busy || this.#waitingForReview) return;
    this.#busy = true;
    try {
      for (const step of ROUTINE[this.agent.role]) await this.play(step);
    } finally {
      this.#busy = false;
    }
  }

  /** Plays `step`; a stopping demo waits for the steps in flight (see close). */
  play(step: DemoStep): Promise<void> {
    const playing = this.#playSafely(step).finally(() => this.#inFlight.delete(playing));
    this.#inFlight.add(playing);
    return playing;
  }

  async #playSafely(step: DemoStep): Promise<void> {
    try {
      await this.#play(step);
    } catch (error) {
      this.#client = undefined;
      if (this.#options.signal.aborted) return;
      this.#options.logger.info(
        { agent: this.agent.name, step: step.kind, refused: describe(error) },
        'demo: call refused',
      );
    }
  }

  async #play(step: DemoStep): Promise<void> {
    const files = this.#options.files;
    switch (step.kind) {
      case 'call':
        await this.#call(step.tool, step.args(files));
        return;
      case 'exfiltrate': {
        const read = await this.#call(step.read, step.args);
        await this.#call(step.tool, {
          entities: [
            { name: 'customer-export', entityType: 'export', observations: [textOf(read)] },
          ],
        });
        return;
      }
      case 'request-approval':
        await this.#awaitApproval(step);
        return;
      case 'think':
        await this.#think(step.question, step.contextLines);
        return;
      case 'drift':
        this.#waitingForReview = true;
        await this.#drift(step.template);
    }
  }

  async #call(tool: string, args: Record<string, unknown>): Promise<unknown> {
    const client = await (this.#client ??= this.#connect());
    const result = await client.callTool({ name: tool, arguments: args });
    if ((result as { isError?: boolean }).isError === true) throw new Error(textOf(result));
    return result;
  }

  async #connect(): Promise<Client> {
    const client = new Client({ name: `zt4ai-demo-${this.agent.name}`, version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${this.#options.issuer}/mcp`), {
        fetch: this.agent.identity.fetch,
      }),
    );
    return client;
  }

  async #awaitApproval(step: Extract<DemoStep, { kind: 'request-approval' }>): Promise<void> {
    const base = this.#options.issuer;
    const { signal } = this.#options;
    const fetch = (url: string, init: RequestInit = {}): Promise<Response> =>
      this.agent.identity.fetch(url, { ...init, signal });
    const response = await fetch(`${base}/api/grants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: step.task, allow: [step.allow], maxUses: 1 }),
    });
    let grant = (await response.json()) as { id: string; status: string };
    this.#options.logger.info(
      { agent: this.agent.name, grant: grant.id, status: grant.status },
      'demo: grant requested',
    );
    while (grant.status === 'pending') {
      grant = (await (
        await fetch(`${base}/api/grants/${grant.id}/wait?timeoutSeconds=60`)
      ).json()) as typeof grant;
    }
    if (grant.status === 'active') await this.#call(step.then.tool, step.then.args);
  }

  /** One model call through the LLM gateway, bound to the approved model and system prompt. */
  async #think(question: string, contextLines: number): Promise<void> {
    const context = Array.from({ length: contextLines }, (_, i) => `record ${i}: status nominal`);
    const response = await this.agent.identity.fetch(
      `${this.#options.issuer}/v1/chat/completions`,
      {
        method: 'POST',
        signal: this.#options.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: `${DEMO_MODEL.name}-${DEMO_MODEL.version}`,
          temperature: 0,
          messages: [
            { role: 'system', content: this.agent.prompt.template },
            { role: 'user', content: `${question}\n${context.join('\n')}` },
          ],
        }),
      },
    );
    if (!response.ok) throw new Error(`model call refused (${response.status})`);
    await response.body?.cancel();
  }

  /** The same key, a changed prompt: the issuer refuses the certificate and records the drift. */
  async #drift(template: string): Promise<void> {
    const drifted = await AgentIdentity.create({
      issuer: this.#options.issuer,
      agent: this.agent.name,
      key: { privateJwk: this.agent.privateJwk },
      model: DEMO_MODEL,
      prompt: { ...this.agent.prompt, template },
    });
    await drifted.fetch(`${this.#options.issuer}/api/identity/whoami`, {
      signal: this.#options.signal,
    });
  }

  /** Lets the steps in flight finish (requests in flight would hold the server's shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.#inFlight]);
    const client = this.#client;
    this.#client = undefined;
    await client?.then((c) => c.close()).catch(() => undefined);
  }
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'refused';
}

/**
 * Resolves once `agent` is offered every tool in `tools` (the MCP upstreams start in the
 * background), so the scenario's times count from a gateway that can serve it.
 */
export async function untilToolsOffered(
  agent: DemoAgent,
  issuer: string,
  tools: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new Client({ name: `zt4ai-demo-${agent.name}`, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${issuer}/mcp`), { fetch: agent.identity.fetch }),
  );
  try {
    for (;;) {
      const offered = new Set((await client.listTools()).tools.map((t) => t.name));
      if (tools.every((t) => offered.has(t)) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}
