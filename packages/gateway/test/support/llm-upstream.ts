// A local OpenAI- and Anthropic-compatible server for the LLM gateway tests: it replays the recorded
// answers of test/fixtures/llm/ — whole JSON bodies, or SSE events written one by one in the
// providers' wire format — and remembers every request it got. The answer is chosen by markers in
// the request body: `[fixture:NAME]` (default per endpoint), and faults `[fault:timeout]` (never
// answers), `[fault:cut]` (half the answer, then the connection is destroyed), `[fault:stall]` (a
// few events, then silence) and `[fault:status:NNN]`.
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/llm/', import.meta.url));

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly body: Record<string, unknown> | undefined;
}

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

interface Fixture {
  readonly status: number;
  readonly body?: unknown;
  readonly events?: ReadonlyArray<{ event?: string; data: unknown; usageChunk?: boolean }>;
}

const DEFAULTS: Record<string, string> = {
  '/v1/chat/completions': 'chat-text',
  '/v1/responses': 'responses-text',
  '/v1/messages': 'messages-thinking',
};

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Fixture;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method: request.method ?? '', path, headers: request.headers, text, body });
      answer(path, text, body, response);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(
  path: string,
  text: string,
  body: Record<string, unknown> | undefined,
  response: ServerResponse,
): void {
  if (path === '/v1/models') return json(response, fixture('models'));
  const endpoint = path.endsWith('/chat/completions')
    ? '/v1/chat/completions'
    : path.endsWith('/responses')
      ? '/v1/responses'
      : path;
  const fault = /\[fault:([a-z]+)(?::(\d+))?\]/.exec(text);
  if (fault?.[1] === 'timeout') return; // never answers
  if (fault?.[1] === 'status') {
    response.writeHead(Number(fault[2]), { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'injected failure', type: 'server_error' } }));
    return;
  }
  const name = /\[fixture:([a-z0-9.-]+)\]/.exec(text)?.[1] ?? DEFAULTS[endpoint] ?? 'chat-text';
  const stream = body?.stream === true;
  const chosen = fixture(stream ? `${name}.stream` : name);
  if (chosen.events === undefined) {
    if (fault?.[1] === 'cut') {
      const half = JSON.stringify(chosen.body);
      response.writeHead(chosen.status, {
        'content-type': 'application/json',
        'content-length': String(half.length),
      });
      response.write(half.slice(0, half.length >> 1));
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    }
    return json(response, chosen);
  }
  const includeUsage =
    endpoint !== '/v1/chat/completions' ||
    (body?.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const events = chosen.events
    .filter((e) => includeUsage || e.usageChunk !== true)
    .map((e) =>
      includeUsage || typeof e.data !== 'object' ? e : { ...e, data: withoutUsage(e.data) },
    );
  streamEvents(response, events, fault?.[1]);
}

function json(response: ServerResponse, chosen: Fixture): void {
  const text = JSON.stringify(chosen.body);
  response.writeHead(chosen.status, {
    'content-type': 'application/json',
    'x-request-id': 'req_fixture_0001',
  });
  response.end(text);
}

function streamEvents(
  response: ServerResponse,
  events: ReadonlyArray<{ event?: string; data: unknown }>,
  fault: string | undefined,
): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': 'req_fixture_0002',
  });
  const stopAt =
    fault === 'cut' || fault === 'stall' ? Math.floor(events.length / 2) : events.length;
  let index = 0;
  const next = (): void => {
    if (response.destroyed) return;
    if (index >= stopAt) {
      if (fault === 'cut') response.socket?.destroy();
      else if (fault !== 'stall') response.end();
      return;
    }
    const event = events[index++];
    if (event === undefined) return;
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    response.write(
      `${event.event === undefined ? '' : `event: ${event.event}\n`}data: ${data}\n\n`,
    );
    setImmediate(next);
  };
  next();
}

function withoutUsage(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const rest = { ...(data as Record<string, unknown>) };
  delete rest.usage;
  return rest;
}
