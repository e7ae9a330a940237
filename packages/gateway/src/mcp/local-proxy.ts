// Local mode of the MCP gateway (docs/mcp-gateway.md, "Local mode"): a desktop client speaks MCP
// over stdio to `zt4ai mcp-proxy`, which forwards every request as the agent — certificate and a
// fresh proof on each — to the gateway's /mcp, in front of the one server the proxy fronts. The
// steps:
//
//   connect to /mcp (2026-07-28, stateless: no session to expire while the desktop idles) →
//   serve the desktop client on stdio (local-proxy-server.ts) → until stdin closes or close()
//
// Contract: MUST NOT answer a request by any other way than the gateway; when the gateway cannot
// be reached or refuses the agent, the desktop client gets an error, never a result.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { buildLocalProxyServer, LOCAL_PROXY_INFO } from './local-proxy-server.js';
import { PASS_THROUGH_VALIDATOR } from './upstream-client.js';

/** The stateless era: every request stands alone, so nothing expires between a user's questions. */
const MODERN_PROTOCOL_VERSION = '2026-07-28';
/** Extra time over the gateway's upstream timeout, so the gateway's own timeout error arrives first. */
const FORWARD_MARGIN_MS = 5000;
/** Largest message the desktop client may send (the gateway bounds it again). */
const MAX_STDIO_MESSAGE_BYTES = 16 * 1024 * 1024;
/** No retries of a lost HTTP stream: a failure is reported to the desktop client instead. */
const NO_RECONNECT = {
  maxReconnectionDelay: 1000,
  initialReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1,
  maxRetries: 0,
};

export interface LocalProxyOptions {
  /** The gateway's endpoint: `<issuer>/mcp`. */
  readonly endpoint: URL;
  /** The agent's authenticated fetch (AgentIdentity.fetch). */
  readonly fetch: typeof fetch;
  /** The upstream the proxy fronts (its name in grants, policies and the audit log). */
  readonly upstream: string;
  /** The upstream's timeout in the gateway. */
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
}

export interface RunningLocalProxy {
  /** Resolves when the desktop client goes away (stdin closed) or close() ran. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Connects to the gateway as the agent, then serves the desktop client on stdio. */
export async function startLocalProxy(options: LocalProxyOptions): Promise<RunningLocalProxy> {
  const gateway = new Client(LOCAL_PROXY_INFO, {
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } },
    jsonSchemaValidator: PASS_THROUGH_VALIDATOR,
  });
  gateway.onerror = (error) => options.logger.debug({ err: error.message }, 'gateway connection');
  await gateway.connect(
    new StreamableHTTPClientTransport(options.endpoint, {
      fetch: options.fetch,
      reconnectionOptions: NO_RECONNECT,
    }),
  );
  const server = buildLocalProxyServer({
    gateway,
    upstream: options.upstream,
    timeoutMs: options.upstreamTimeoutMs + FORWARD_MARGIN_MS,
    onRefused: (refusal) =>
      options.logger.warn({ code: refusal.code }, "zt4ai refused the agent's credentials"),
  });
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  server.onerror = (error) => options.logger.debug({ err: error.message }, 'desktop client');
  await server.connect(
    new StdioServerTransport(options.stdin, options.stdout, {
      maxBufferSize: MAX_STDIO_MESSAGE_BYTES,
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    closed,
    close: () =>
      (closing ??= (async () => {
        await server.close().catch(() => undefined);
        await gateway.close().catch(() => undefined);
      })()),
  };
}
