// A credential-adding forwarder, for MCP clients that cannot speak to the gateway themselves: the
// MCP Inspector CLI and the MCP conformance suite take a URL and, at most, static headers, while
// the gateway wants the agent's certificate and a proof made for each request (single-use, bound
// to the method and the URL). The forwarder listens on 127.0.0.1, and for every request it
// receives it adds `Authorization: AgentCert <certificate>` and a fresh `DPoP: <proof>` made with
// the agent's AgentIdentity for the gateway's URL, and passes everything else through unchanged
// — method, path, body, and the client's own Host and Origin headers, so the gateway's DNS-rebinding
// checks judge what the client sent. Credentials the client sent itself are dropped. Responses
// (JSON or SSE streams) are piped back as they arrive. Test code only: it holds the agent's key.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AgentIdentity } from '@zt4ai/sdk';

/** Headers of the connection, not of the message (RFC 9110 §7.6.1), and the credentials. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'authorization',
  'dpop',
]);

export interface Forwarder {
  /** The forwarder's base URL, e.g. `http://127.0.0.1:41234`; append the gateway path (`/mcp`). */
  readonly url: string;
  /** How many requests it forwarded with fresh credentials. */
  readonly forwarded: number;
  close(): Promise<void>;
}

/** Starts a forwarder to `target` (the gateway's public base URL) acting as `identity`. */
export async function startForwarder(target: string, identity: AgentIdentity): Promise<Forwarder> {
  const upstream = new URL(target);
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server = createServer((incoming, outgoing) => {
    forwarded += 1;
    forward(incoming, outgoing, upstream, identity).catch(() => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function forward(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  upstream: URL,
  identity: AgentIdentity,
): Promise<void> {
  const method = incoming.method ?? 'GET';
  const path = incoming.url ?? '/';
  const body = await readBody(incoming);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
  }
  // The proof names the URL the gateway serves (its public URL), never the forwarder's.
  const url = new URL(path, upstream);
  const certificate = await identity.certificate();
  headers['authorization'] = `AgentCert ${certificate}`;
  headers['dpop'] = await identity.proof(method, `${url.origin}${url.pathname}`, { certificate });
  if (body.length > 0) headers['content-length'] = String(body.length);
  await new Promise<void>((resolve, reject) => {
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method, path, headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        outgoing.flushHeaders();
        response.pipe(outgoing);
        response.once('end', resolve);
        response.once('error', reject);
      },
    );
    proxied.once('error', reject);
    outgoing.once('close', () => proxied.destroy());
    proxied.end(body);
  });
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });
}
