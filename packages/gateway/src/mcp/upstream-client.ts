// One upstream MCP server, shared by every agent: connected on first use, every call bounded by the
// upstream's timeout, and every failure reported as data (`UpstreamOutcome`), never thrown. An
// upstream that crashes or closes is rebuilt on the next use, after a back-off so a server that
// dies at start is not respawned in a loop; it never takes the gateway down.
import {
  Client,
  type jsonSchemaValidator,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  type Tool,
} from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { McpUpstreamConfig } from '../config/index.js';
import { upstreamTransport } from './upstream-transport.js';

export type UpstreamFailure = 'unavailable' | 'timeout' | 'invalid' | 'error';

/** What one upstream request came to. `error` is the upstream's own JSON-RPC error. */
export type UpstreamOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly failure: UpstreamFailure;
      readonly error?: { readonly code: number; readonly message: string };
    };

export interface UpstreamOptions {
  readonly inheritedEnv: Readonly<{ PATH: string; HOME?: string }>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** How long an upstream's tool list is reused before it is fetched again. */
const TOOLS_TTL_MS = 30_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
const MAX_ERROR_MESSAGE_CHARS = 500;
/** What an agent sees when it asks an upstream for something the upstream does not offer. */
const METHOD_NOT_FOUND = { code: -32601, message: 'Method not found' } as const;

/**
 * Upstream schemas are untrusted input: the gateway never compiles them (the upstream validates its
 * own arguments, and the guard inspects them). Results are passed on as the upstream sent them.
 */
export const PASS_THROUGH_VALIDATOR: jsonSchemaValidator = {
  getValidator: () => (input) => ({ valid: true, data: input as never, errorMessage: undefined }),
};

export class Upstream {
  readonly name: string;
  readonly config: McpUpstreamConfig;
  readonly #options: UpstreamOptions;
  readonly #now: () => number;
  #client: Promise<Client> | undefined;
  #tools: { readonly at: number; readonly tools: Promise<UpstreamOutcome<Tool[]>> } | undefined;
  #retryAt = 0;
  #retryMs = FIRST_RETRY_MS;
  #closed = false;

  constructor(config: McpUpstreamConfig, options: UpstreamOptions) {
    this.name = config.name;
    this.config = config;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The upstream's tools (all pages), cached for a short while and refreshed after a reconnect. */
  tools(): Promise<UpstreamOutcome<Tool[]>> {
    const cached = this.#tools;
    if (cached !== undefined && this.#now() - cached.at < TOOLS_TTL_MS) return cached.tools;
    const tools = this.request((client, options) =>
      client.listTools(undefined, { ...options, cacheMode: 'bypass' }).then((r) => r.tools),
    );
    const entry = { at: this.#now(), tools };
    this.#tools = entry;
    void tools.then((outcome) => {
      if (!outcome.ok && this.#tools === entry) this.#tools = undefined;
    });
    return tools;
  }

  /**
   * Runs one request against the upstream within its timeout. MUST NOT throw: a connection that
   * cannot be made, a timeout, an invalid answer or the upstream's own error come back as data.
   */
  async request<T>(
    send: (client: Client, options: { timeout: number; maxTotalTimeout: number }) => Promise<T>,
  ): Promise<UpstreamOutcome<T>> {
    const client = await this.#connected();
    if (client === undefined) return { ok: false, failure: 'unavailable' };
    const timeout = this.config.timeoutMs;
    try {
      return { ok: true, value: await send(client, { timeout, maxTotalTimeout: timeout }) };
    } catch (error) {
      return this.#failure(error, client);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.then((c) => c.close()).catch(() => undefined);
  }

  #connected(): Promise<Client | undefined> {
    if (this.#closed || (this.#client === undefined && this.#now() < this.#retryAt))
      return Promise.resolve(undefined);
    if (this.#client === undefined) {
      const attempt = this.#connect();
      this.#client = attempt;
      attempt.catch(() => {
        if (this.#client === attempt) this.#client = undefined;
      });
    }
    return this.#client.then(
      (client) => client,
      () => undefined,
    );
  }

  async #connect(): Promise<Client> {
    const client = new Client(
      { name: 'zt4ai-gateway', version: '0.1.0' },
      { jsonSchemaValidator: PASS_THROUGH_VALIDATOR },
    );
    client.onclose = () => this.#forget(client, 'closed');
    client.onerror = (error) =>
      this.#options.logger.debug({ upstream: this.name, err: error.message }, 'upstream error');
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      this.#tools = undefined;
    });
    const transport = upstreamTransport(this.config, {
      inheritedEnv: this.#options.inheritedEnv,
      onStderr: (text) =>
        this.#options.logger.debug({ upstream: this.name, stderr: text }, 'upstream stderr'),
    });
    try {
      await client.connect(transport, { timeout: this.config.timeoutMs });
    } catch (error) {
      this.#backOff();
      this.#options.logger.warn(
        { upstream: this.name, err: describe(error) },
        'upstream could not be started; it is marked down until the next attempt',
      );
      await client.close().catch(() => undefined);
      throw error;
    }
    this.#retryMs = FIRST_RETRY_MS;
    this.#tools = undefined;
    this.#options.logger.info(
      { upstream: this.name, transport: this.config.transport },
      'upstream connected',
    );
    return client;
  }

  /** A client whose connection ended is dropped; the next request builds a new one. */
  #forget(client: Client, why: string): void {
    void this.#client?.then(
      (current) => {
        if (current !== client) return;
        this.#client = undefined;
        this.#tools = undefined;
        if (!this.#closed)
          this.#options.logger.warn(
            { upstream: this.name, why },
            'upstream connection lost; it restarts on next use',
          );
      },
      () => undefined,
    );
  }

  #backOff(): void {
    this.#retryAt = this.#now() + this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  #failure(error: unknown, client: Client): UpstreamOutcome<never> {
    if (error instanceof ProtocolError)
      return {
        ok: false,
        failure: 'error',
        error: {
          code: error.code,
          message: String(error.message).slice(0, MAX_ERROR_MESSAGE_CHARS),
        },
      };
    if (error instanceof SdkError) {
      if (error.code === SdkErrorCode.RequestTimeout) return { ok: false, failure: 'timeout' };
      if (error.code === SdkErrorCode.CapabilityNotSupported)
        return { ok: false, failure: 'error', error: METHOD_NOT_FOUND };
      if (error.code === SdkErrorCode.InvalidResult) return { ok: false, failure: 'invalid' };
    }
    // Anything else (connection closed, send failed, a transport error): the connection is suspect.
    this.#forget(client, describe(error));
    void client.close().catch(() => undefined);
    return { ok: false, failure: 'unavailable' };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) : 'unknown error';
}
