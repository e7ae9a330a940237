// The client transport to one upstream, by its configured kind: stdio (a child process with a
// minimal environment), Streamable HTTP, or the legacy HTTP+SSE transport. Upstream credentials come
// from the gateway's configuration; nothing of the agent's request (certificate, proof, headers)
// ever reaches an upstream.
import {
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { McpUpstreamConfig, Secret } from '../config/index.js';
import { linkedAbortFetch } from './linked-abort-fetch.js';
import { stdioEnvironment } from './stdio-environment.js';

/** Longest stderr chunk of a stdio upstream that reaches the log. */
const MAX_STDERR_LOG_CHARS = 2048;
/** Largest message a stdio upstream may write: over it the connection is closed (a crash). */
const MAX_STDIO_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface TransportContext {
  readonly inheritedEnv: Readonly<{ PATH: string; HOME?: string }>;
  /** Receives what a stdio upstream writes to stderr, bounded. */
  readonly onStderr: (text: string) => void;
}

export function upstreamTransport(config: McpUpstreamConfig, context: TransportContext): Transport {
  if (config.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: config.command,
      args: [...config.args],
      env: stdioEnvironment(config.env, context.inheritedEnv),
      ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      stderr: 'pipe',
      maxBufferSize: MAX_STDIO_MESSAGE_BYTES,
    });
    transport.stderr?.on('data', (chunk: Buffer) =>
      context.onStderr(chunk.toString('utf8').slice(0, MAX_STDERR_LOG_CHARS)),
    );
    return transport;
  }
  const url = new URL(config.url);
  const fetch = linkedAbortFetch(withHeaders(config.headers));
  return config.transport === 'http'
    ? new StreamableHTTPClientTransport(url, { fetch, reconnectionOptions: NO_RECONNECT })
    : new SSEClientTransport(url, { fetch });
}

/** A lost HTTP stream is reported as a failure (and the client rebuilt on next use), not retried. */
const NO_RECONNECT = {
  maxReconnectionDelay: 1000,
  initialReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1,
  maxRetries: 0,
};

/** fetch with the upstream's configured headers (its credentials) on every request. */
function withHeaders(configured: Readonly<Record<string, Secret>>): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(configured)) headers.set(name, value.reveal());
    return fetch(input, { ...init, headers });
  };
}
