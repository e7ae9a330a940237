// In local mode the proxy reaches the control plane inside its own process: a `fetch` served by the
// control plane's HTTP routes through Fastify's injection, so certificate issuance and /mcp run
// exactly as they do over the network (the same routes, body limits and checks), while no socket is
// opened that another local process could reach. Responses stream (an SSE answer is read as it is
// written).
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** Statuses that never carry a body (RFC 9110 §6.4.1). */
const NO_BODY = new Set([101, 204, 205, 304]);

/** A fetch that hands every request to `app` in-process; the URL's host only names the issuer. */
export function injectFetch(app: Pick<FastifyInstance, 'inject'>): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers['host'] = url.host;
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const response = await app.inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers,
      ...(hasBody ? { payload: Buffer.from(await request.arrayBuffer()) } : {}),
      signal: request.signal,
      payloadAsStream: true,
    });
    const stream = response.stream();
    const bodyless = NO_BODY.has(response.statusCode) || request.method === 'HEAD';
    if (bodyless) stream.resume();
    return new Response(bodyless ? null : webStream(stream), {
      status: response.statusCode,
      headers: responseHeaders(response.headers),
    });
  };
}

/**
 * The response body as a web stream. Written out rather than Readable.toWeb, whose adapter (Node 20)
 * throws on a chunk that arrives after the reader cancelled, taking the process down.
 */
function webStream(stream: Readable): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream.on('data', (chunk: Buffer) => {
        if (!settled) controller.enqueue(new Uint8Array(chunk));
      });
      stream.once('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      stream.once('error', (error) => {
        if (settled) return;
        settled = true;
        controller.error(error);
      });
    },
    cancel() {
      settled = true;
      stream.destroy();
    },
  });
}

function responseHeaders(raw: Record<string, string | string[] | number | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, String(one));
  }
  return headers;
}
