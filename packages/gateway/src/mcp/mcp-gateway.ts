// The MCP gateway (DESIGN §2, the main enforcement point): one aggregated Streamable HTTP endpoint,
// `/mcp`, serving both protocol eras. Every request passes these steps, in order:
//
//   Host/Origin (DNS rebinding) → authenticate (certificate + proof) → one strict JSON-RPC body →
//   route by era: 2025-era → its session (initialize opens one); 2026-07-28 → stateless, with the
//   SDK checking the `_meta` envelope and the Mcp-Method / Mcp-Name headers against the body
//
// and every tool call, resource read and prompt get inside goes through the guard (guarded-call.ts).
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  isJsonContentType,
  isLegacyRequest,
  type McpHttpHandler,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { McpConfig } from '../config/index.js';
import type { DecisionRecorder, Guard, ToolConfig } from '../guard/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { CallContext } from './call-context.js';
import { EdgeAuthenticator, type EdgeIdentity } from './edge-auth.js';
import { buildGatewayServer } from './gateway-server.js';
import type { HandlerDeps } from './handler-deps.js';
import { jsonRpcErrorResponse, unauthorizedResponse } from './http-responses.js';
import { parseJsonRpcBody } from './json-rpc-body.js';
import { LegacySessions } from './legacy-sessions.js';
import type { PinReviewer } from './pin-review.js';
import { SharedTaint } from './shared-taint.js';
import { TaintRegistry } from './taint-registry.js';
import { UpstreamCatalog } from './upstream-catalog.js';
import { Upstream } from './upstream-client.js';

export interface McpGatewayOptions {
  readonly config: McpConfig;
  /** The public base URL (the issuer URL): proofs name `<publicUrl>/mcp`. */
  readonly publicUrl: string;
  readonly identity: Pick<IdentityService, 'authenticator' | 'agentTeam'>;
  readonly guard: Pick<Guard, 'decide'>;
  readonly audit: DecisionRecorder;
  readonly grants: HandlerDeps['grants'];
  /** The `tools:` configuration by `server/tool` name. */
  readonly tools: ReadonlyMap<string, ToolConfig>;
  /** guard.pathRoots. */
  readonly pathRoots: readonly string[];
  /** Tool pinning (tool-pins.ts): only approved tools are listed or called. */
  readonly pins: PinReviewer;
  /** Where the agents' taint is shared with the other gateways (shared-taint.ts). */
  readonly store: Store;
  /** Seals the taint values shared through the store: derived from the master key. */
  readonly taintKey: Buffer;
  readonly logger: Logger;
  readonly now?: () => number;
}

export const MCP_PATH = '/mcp';
const ALLOWED_METHODS = new Set(['GET', 'POST', 'DELETE']);
const SWEEP_EVERY_MS = 60_000;

export class McpGateway {
  readonly catalog: UpstreamCatalog;
  readonly sessions: LegacySessions;
  readonly #options: McpGatewayOptions;
  readonly #edge: EdgeAuthenticator;
  readonly #taints: TaintRegistry;
  readonly #modern: McpHttpHandler;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: McpGatewayOptions) {
    this.#options = options;
    const { config, logger } = options;
    const now = options.now ?? Date.now;
    this.catalog = new UpstreamCatalog(
      config.upstreams.map(
        (u) => new Upstream(u, { inheritedEnv: config.inheritedEnv, logger, now }),
      ),
      options.tools,
      logger,
    );
    this.#edge = new EdgeAuthenticator({
      identity: options.identity,
      endpointUrl: `${options.publicUrl}${MCP_PATH}`,
    });
    this.#taints = new TaintRegistry(config.taintIdleTimeoutMs, now);
    const sharedTaint = new SharedTaint({
      store: options.store,
      key: options.taintKey,
      idleMs: config.taintIdleTimeoutMs,
      now,
    });
    const deps: HandlerDeps = {
      catalog: this.catalog,
      pins: options.pins,
      grants: options.grants,
      guard: options.guard,
      audit: options.audit,
      pathRoots: options.pathRoots,
      maxResultBytes: config.maxResultBytes,
      sharedTaint,
      logger,
      now,
    };
    this.sessions = new LegacySessions({
      buildServer: () => buildGatewayServer(deps),
      maxSessions: config.maxSessions,
      maxSessionsPerAgent: config.maxSessionsPerAgent,
      idleMs: config.sessionIdleTimeoutMs,
      maxMessageBytes: config.maxMessageBytes,
      logger,
      now,
    });
    this.#modern = createMcpHandler(() => buildGatewayServer(deps), {
      legacy: 'reject',
      maxRequestBodySize: config.maxMessageBytes,
      onerror: (error) => logger.debug({ err: error.message }, 'MCP request rejected'),
    });
    this.#sweeper = setInterval(
      () => {
        this.#taints.sweep();
        sharedTaint.sweep().catch(() => undefined); // retried at the next sweep
        void this.sessions.sweep();
      },
      Math.min(SWEEP_EVERY_MS, config.sessionIdleTimeoutMs),
    ).unref();
  }

  /**
   * Serves one HTTP request to /mcp. `body` is the raw text of a POST (bounded by the HTTP layer).
   * MUST NOT throw for anything a client sends: every refusal is an HTTP status with a JSON body.
   */
  async handle(request: Request, body: string | undefined): Promise<Response> {
    const rejected =
      hostHeaderValidationResponse(request, [...this.#options.config.allowedHosts]) ??
      originValidationResponse(request, [...this.#options.config.allowedOrigins]);
    if (rejected !== undefined) return rejected;
    if (!ALLOWED_METHODS.has(request.method))
      return jsonRpcErrorResponse(405, -32000, 'Method not allowed', {
        allow: 'GET, POST, DELETE',
      });
    const authenticated = await this.#edge.authenticate(request.headers, request.method);
    if (!authenticated.ok)
      return unauthorizedResponse(authenticated.error, this.#options.publicUrl);
    let parsed: Record<string, unknown> | undefined;
    if (request.method === 'POST') {
      if (!isJsonContentType(request.headers.get('content-type')))
        return jsonRpcErrorResponse(
          415,
          -32000,
          'Unsupported Media Type: Content-Type must be application/json',
        );
      const message = parseJsonRpcBody(body ?? '');
      if (!message.ok) return jsonRpcErrorResponse(400, message.code, message.message);
      parsed = message.message;
    }
    return this.#route(request, parsed, authenticated.identity);
  }

  /** Agents with an open session (containment's view: remediation/live-sessions.ts). */
  liveAgents(): Iterable<string> {
    return this.sessions.agents();
  }

  /** Containment: closes every session of `agent`; its next request must authenticate anew. */
  async terminate(agent: string): Promise<number> {
    return this.sessions.closeAgent(agent);
  }

  /** Ends every session and upstream connection. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.sessions.close();
    await this.#modern.close();
    await this.catalog.close();
  }

  async #route(
    request: Request,
    parsed: Record<string, unknown> | undefined,
    identity: EdgeIdentity,
  ): Promise<Response> {
    const context = (sessionId: string | undefined): CallContext =>
      new CallContext(
        identity.principal,
        identity.verified,
        this.#taints.of(identity.principal.id),
        sessionId,
      );
    const legacy = await isLegacyRequest(request, parsed);
    if (legacy) return this.sessions.handle(request, parsed, context);
    return this.#modern.fetch(request, {
      ...(parsed === undefined ? {} : { parsedBody: parsed }),
      authInfo: context(undefined).authInfo(),
    });
  }
}
