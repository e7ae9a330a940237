// Mounts the gateway on the control plane's Fastify server at /mcp. The route lives in its own
// encapsulated context: its body is taken as raw text within the MCP size limit (the gateway parses
// it strictly itself), and its errors are JSON-RPC error bodies, not the API's. The request is
// handed on as a web-standard Request whose URL is the public one and whose signal aborts when the
// client goes away; the web Response (JSON or an SSE stream) is sent as it is.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonRpcErrorResponse } from './http-responses.js';
import { MCP_PATH, type McpGateway } from './mcp-gateway.js';

/** Headers of the HTTP connection, not of the message (RFC 9110 §7.6.1): the body is already read. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
]);

export interface McpEndpointOptions {
  readonly publicUrl: string;
  readonly maxMessageBytes: number;
}

export async function mountMcpEndpoint(
  app: FastifyInstance,
  gateway: McpGateway,
  options: McpEndpointOptions,
): Promise<void> {
  // Sessions hold SSE streams open: end them before the server waits for connections to drain.
  app.addHook('preClose', async () => gateway.close());
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: options.maxMessageBytes },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'MCP request failed');
      return reply.send(edgeError(status));
    });
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'],
      url: MCP_PATH,
      handler: (request, reply) => serve(gateway, options.publicUrl, request, reply),
    });
  });
}

async function serve(
  gateway: McpGateway,
  publicUrl: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const body = typeof request.body === 'string' ? request.body : undefined;
  const aborted = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) aborted.abort();
  });
  try {
    const response = await gateway.handle(
      webRequest(request, publicUrl, body, aborted.signal),
      body,
    );
    return isEventStream(response) ? streamEvents(reply, response) : reply.send(response);
  } catch (error) {
    request.log.error({ err: error }, 'MCP request failed');
    return reply.send(edgeError(503));
  }
}

function webRequest(
  request: FastifyRequest,
  publicUrl: string,
  body: string | undefined,
  signal: AbortSignal,
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (HOP_BY_HOP.has(name)) continue;
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  const hasBody = body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
  return new Request(`${publicUrl}${MCP_PATH}`, {
    method: request.method,
    headers,
    signal,
    ...(hasBody ? { body } : {}),
  });
}

function isEventStream(response: Response): boolean {
  return (
    response.body !== null &&
    (response.headers.get('content-type') ?? '').startsWith('text/event-stream')
  );
}

/**
 * An SSE response is written by hand so its headers go out at once: an MCP stream may stay silent
 * for a long time (the GET stream of a session), and the client waits for the headers.
 */
async function streamEvents(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
    }
  } catch {
    // the stream failed or the client went away: end the response either way
  }
  res.end();
  return reply;
}

function edgeError(status: number): Response {
  if (status === 413)
    return jsonRpcErrorResponse(413, -32600, 'Invalid Request: the message is too large');
  if (status === 415) return jsonRpcErrorResponse(415, -32000, 'Unsupported Media Type');
  if (status >= 400 && status < 500) return jsonRpcErrorResponse(status, -32600, 'Invalid Request');
  return jsonRpcErrorResponse(503, -32603, 'The gateway could not serve the request');
}
