// The MCP server a desktop client talks to over stdio in local mode (docs/mcp-gateway.md, "Local
// mode"). It decides nothing: every request is forwarded, as the agent, to the gateway's /mcp —
// which authenticates it, filters by pins and grants, runs the guard and records the audit log —
// and the gateway's answer (a result, a denial, or its JSON-RPC error) comes back unchanged except
// for names. The proxy fronts one upstream, so the client sees that server's own names: the
// `<upstream>/` prefix the gateway adds is removed on the way out and put back on the way in.
// Anything the gateway shows under another prefix (a configured honeytoken) keeps its full name.
import type { Client } from '@modelcontextprotocol/client';
import { ProtocolError, Server, type ServerContext } from '@modelcontextprotocol/server';
import { type CredentialsRefused, credentialsRefused } from './local-proxy-errors.js';
import { qualify } from './names.js';
import { PASS_THROUGH_VALIDATOR } from './upstream-client.js';

export const LOCAL_PROXY_INFO = { name: 'zt4ai-mcp-proxy', version: '0.1.0' } as const;

export interface LocalProxyTarget {
  /** A client connected to the gateway's /mcp with the agent's credentials. */
  readonly gateway: Client;
  /** The one upstream the proxy fronts: the `<upstream>` of `<upstream>/<tool>`. */
  readonly upstream: string;
  /** Bound on each forwarded request: longer than the gateway's own upstream timeout. */
  readonly timeoutMs: number;
  /** Told when the gateway refuses the agent's credentials (logged by the caller). */
  readonly onRefused: (refusal: CredentialsRefused) => void;
}

export function buildLocalProxyServer(target: LocalProxyTarget): Server {
  const server = new Server(LOCAL_PROXY_INFO, {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    // The gateway and the upstream validate; the proxy passes definitions and results as they are.
    jsonSchemaValidator: PASS_THROUGH_VALIDATOR,
  });
  const names = new ProxyNames(target.upstream);
  const forward = <T>(ctx: ServerContext, send: (options: Options) => Promise<T>): Promise<T> =>
    send({ timeout: target.timeoutMs, signal: ctx.mcpReq.signal }).catch((error: unknown) => {
      throw forwardingError(error, target.onRefused);
    });
  const client = target.gateway;
  server.setRequestHandler('tools/list', (request, ctx) =>
    forward(ctx, (o) => client.listTools(request.params, { ...o, cacheMode: 'refresh' })).then(
      (r) => ({ ...r, tools: r.tools.map((t) => ({ ...t, name: names.shownTool(t.name) })) }),
    ),
  );
  server.setRequestHandler('tools/call', (request, ctx) =>
    forward(ctx, (o) =>
      client.callTool({ ...request.params, name: names.gatewayTool(request.params.name) }, o),
    ),
  );
  server.setRequestHandler('resources/list', (request, ctx) =>
    forward(ctx, (o) => client.listResources(request.params, { ...o, cacheMode: 'bypass' })).then(
      (r) => ({ ...r, resources: r.resources.map((x) => ({ ...x, uri: names.shown(x.uri) })) }),
    ),
  );
  server.setRequestHandler('resources/templates/list', (request, ctx) =>
    forward(ctx, (o) =>
      client.listResourceTemplates(request.params, { ...o, cacheMode: 'bypass' }),
    ).then((r) => ({
      ...r,
      resourceTemplates: r.resourceTemplates.map((t) => ({
        ...t,
        uriTemplate: names.shown(t.uriTemplate),
      })),
    })),
  );
  server.setRequestHandler('resources/read', (request, ctx) =>
    forward(ctx, (o) =>
      client.readResource(
        { ...request.params, uri: names.gateway(request.params.uri) },
        { ...o, cacheMode: 'bypass' },
      ),
    ).then((r) => ({ ...r, contents: r.contents.map((c) => ({ ...c, uri: names.shown(c.uri) })) })),
  );
  server.setRequestHandler('prompts/list', (request, ctx) =>
    forward(ctx, (o) => client.listPrompts(request.params, { ...o, cacheMode: 'bypass' })).then(
      (r) => ({ ...r, prompts: r.prompts.map((p) => ({ ...p, name: names.shown(p.name) })) }),
    ),
  );
  server.setRequestHandler('prompts/get', (request, ctx) =>
    forward(ctx, (o) =>
      client.getPrompt({ ...request.params, name: names.gateway(request.params.name) }, o),
    ),
  );
  return server;
}

interface Options {
  readonly timeout: number;
  readonly signal: AbortSignal;
}

/** The two namings: the gateway's `<upstream>/<name>` and the client's `<name>`. */
class ProxyNames {
  readonly #prefix: string;
  readonly #upstream: string;
  /** Tools last listed under another prefix (honeytokens): called by their full name. */
  #foreign = new Set<string>();

  constructor(upstream: string) {
    this.#upstream = upstream;
    this.#prefix = qualify(upstream, '');
  }

  shown(name: string): string {
    return name.startsWith(this.#prefix) ? name.slice(this.#prefix.length) : name;
  }

  gateway(name: string): string {
    return qualify(this.#upstream, name);
  }

  shownTool(name: string): string {
    const shown = this.shown(name);
    if (shown === name) this.#foreign.add(name);
    return shown;
  }

  gatewayTool(name: string): string {
    return this.#foreign.has(name) ? name : this.gateway(name);
  }
}

/**
 * What the desktop client gets when a request could not be forwarded. The gateway's own JSON-RPC
 * errors pass unchanged (their codes are docs/mcp-gateway.md's); a refusal of the credentials and
 * any other failure get fixed messages: no transport detail, no stack.
 */
function forwardingError(
  error: unknown,
  onRefused: (refusal: CredentialsRefused) => void,
): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const refused = credentialsRefused(error);
  if (refused !== undefined) {
    onRefused(refused);
    return new ProtocolError(
      PROXY_CODES.credentialsRefused,
      `zt4ai refused the agent's credentials (${refused.code})`,
      { code: refused.code },
    );
  }
  return new ProtocolError(
    PROXY_CODES.unavailable,
    'The zt4ai gateway could not serve the request',
  );
}

/** JSON-RPC codes of the proxy's own errors (implementation-defined server range, JSON-RPC 2.0 §5.1). */
export const PROXY_CODES = {
  /** The control plane refused the agent's certificate, proof or issuance: nothing was forwarded. */
  credentialsRefused: -32055,
  /** The request could not be forwarded (timeout, the gateway failed): it may not have run. */
  unavailable: -32056,
} as const;
