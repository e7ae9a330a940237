// 2025-era (2025-11-25 and earlier) Streamable HTTP sessions: `initialize` opens one, its
// `Mcp-Session-Id` names it on every later POST, GET (the server's stream) and DELETE. A session
// belongs to the agent that opened it: another agent naming it gets the same 404 as an unknown id.
// Sessions are bounded in number (per agent and overall) and closed when idle.
import { randomUUID } from 'node:crypto';
import {
  isInitializeRequest,
  type Server,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { CallContext } from './call-context.js';
import { jsonRpcErrorResponse } from './http-responses.js';

export interface LegacySessionOptions {
  readonly buildServer: () => Server;
  readonly maxSessions: number;
  readonly maxSessionsPerAgent: number;
  readonly idleMs: number;
  readonly maxMessageBytes: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface Session {
  readonly id: string;
  readonly agent: string;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly server: Server;
  usedAt: number;
  /** POSTs whose answer has not been sent in full. */
  inFlight: number;
  /** Containment ended the session: it closes once `inFlight` reaches 0. */
  ending: boolean;
}

export class LegacySessions {
  readonly #sessions = new Map<string, Session>();
  readonly #options: LegacySessionOptions;
  readonly #now: () => number;

  constructor(options: LegacySessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Serves one 2025-era request of an authenticated agent. */
  async handle(
    request: Request,
    parsedBody: unknown,
    context: (sessionId: string | undefined) => CallContext,
  ): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId === null) {
      if (request.method === 'POST' && isInitializeRequest(parsedBody))
        return this.#open(request, parsedBody, context(undefined));
      return jsonRpcErrorResponse(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    const session = this.#sessions.get(sessionId);
    const agent = context(sessionId);
    if (session === undefined || session.agent !== agent.principal.id)
      return jsonRpcErrorResponse(404, -32001, 'Session not found');
    session.usedAt = this.#now();
    const answer = (): Promise<Response> =>
      session.transport.handleRequest(request, {
        ...(parsedBody === undefined ? {} : { parsedBody }),
        authInfo: agent.authInfo(),
      });
    // The server's own stream (GET) lives as long as the session: only POSTs are awaited on ending.
    if (request.method !== 'POST') return answer();
    session.inFlight++;
    const settle = (): void => {
      session.inFlight--;
      if (session.ending && session.inFlight === 0) void this.#close(session);
    };
    try {
      return whenSent(await answer(), settle);
    } catch (error) {
      settle();
      throw error;
    }
  }

  /** Agents with at least one open session. */
  agents(): Set<string> {
    return new Set([...this.#sessions.values()].map((s) => s.agent));
  }

  /**
   * Containment: every session of `agent` is forgotten at once (a later request naming one gets
   * 404), and closed — its streams ended — once the request being handled has answered: that request
   * may be the very call that triggered containment, and its denial must still reach the agent.
   * Returns how many sessions it ended.
   */
  closeAgent(agent: string): number {
    const owned = [...this.#sessions.values()].filter((s) => s.agent === agent);
    for (const session of owned) {
      this.#sessions.delete(session.id);
      session.ending = true;
      if (session.inFlight === 0) void this.#close(session);
    }
    return owned.length;
  }

  /** Closes sessions idle for longer than the limit. */
  async sweep(): Promise<void> {
    const now = this.#now();
    const idle = [...this.#sessions.values()].filter((s) => now - s.usedAt >= this.#options.idleMs);
    await Promise.all(idle.map((s) => this.#close(s)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => this.#close(s)));
  }

  async #open(request: Request, parsedBody: unknown, context: CallContext): Promise<Response> {
    const agent = context.principal.id;
    const owned = [...this.#sessions.values()].filter((s) => s.agent === agent).length;
    if (
      this.#sessions.size >= this.#options.maxSessions ||
      owned >= this.#options.maxSessionsPerAgent
    )
      return jsonRpcErrorResponse(
        429,
        -32000,
        'Too many sessions: close one (DELETE) before opening another',
      );
    const server = this.#options.buildServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.#options.maxMessageBytes,
      // The gateway sends nothing before a request's result (it relays no progress), so the result
      // goes out as one JSON body rather than an SSE stream of one event. Notifications to the
      // agent still use the session's GET stream.
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        this.#sessions.set(id, {
          id,
          agent,
          transport,
          server,
          usedAt: this.#now(),
          inFlight: 0,
          ending: false,
        });
        this.#options.logger.debug({ agent, session: id }, 'MCP session opened');
      },
      onsessionclosed: (id) => {
        this.#sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.#sessions.delete(transport.sessionId);
    };
    let opened = false;
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, {
        parsedBody,
        authInfo: context.authInfo(),
      });
      opened = transport.sessionId !== undefined && this.#sessions.has(transport.sessionId);
      return response;
    } finally {
      // An initialize that failed leaves no session behind.
      if (!opened) await server.close().catch(() => undefined);
    }
  }

  async #close(session: Session): Promise<void> {
    this.#sessions.delete(session.id);
    await session.server.close().catch(() => undefined);
  }
}

/** `response` with `sent` called once its body has been read to the end, or cancelled. */
function whenSent(response: Response, sent: () => void): Response {
  const body = response.body;
  if (body === null) {
    sent();
    return response;
  }
  const reader = body.getReader();
  let settled = false;
  const once = (): void => {
    if (settled) return;
    settled = true;
    sent();
  };
  const tracked = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          once();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        once();
      }
    },
    async cancel(reason) {
      once();
      await reader.cancel(reason);
    },
  });
  return new Response(tracked, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
