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
    return session.transport.handleRequest(request, {
      ...(parsedBody === undefined ? {} : { parsedBody }),
      authInfo: agent.authInfo(),
    });
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
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { id, agent, transport, server, usedAt: this.#now() });
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
