// HTTP to the model providers, with node:http(s) and kept-alive connections (the gateway adds one
// hop to every call: it must be a cheap one). A provider that stays silent longer than its timeout —
// before its answer or between two chunks of it — is cut off. Nothing here reads or logs a body.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface UpstreamRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Longest silence of the provider. */
  readonly timeoutMs: number;
  /** Aborts the call (the agent went away). */
  readonly signal?: AbortSignal | undefined;
}

export type UpstreamFailure = 'timeout' | 'unreachable' | 'aborted';

export type UpstreamResponse =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: IncomingMessage;
    }
  | { readonly ok: false; readonly failure: UpstreamFailure };

/** The body of a response stopped before its end (cut, silent too long, or too large). */
export class UpstreamBodyError extends Error {
  constructor(readonly failure: 'cut' | 'timeout' | 'too-large') {
    super(`upstream body ${failure}`);
  }
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

class SilenceTimeout extends Error {}

/** Responses whose provider fell silent mid-body (their stream then breaks). */
const silenced = new WeakSet<IncomingMessage>();

/** Sends one request; resolves when the provider answered with a status (or failed). */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  return new Promise((resolve) => {
    const { url } = request;
    const client = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const outgoing = client.request(url, {
      method: 'POST',
      agent,
      headers: { ...request.headers, 'content-length': String(request.body.length) },
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    let answered: IncomingMessage | undefined;
    outgoing.setTimeout(request.timeoutMs, () => {
      if (answered !== undefined) silenced.add(answered);
      outgoing.destroy(new SilenceTimeout());
    });
    outgoing.once('response', (response) => {
      answered = response;
      resolve({
        ok: true,
        status: response.statusCode ?? 502,
        headers: response.headers,
        body: response,
      });
    });
    // Errors after the answer started surface on its body; this listener only keeps them handled.
    outgoing.on('error', (error) => {
      const failure: UpstreamFailure =
        error instanceof SilenceTimeout
          ? 'timeout'
          : error.name === 'AbortError'
            ? 'aborted'
            : 'unreachable';
      resolve({ ok: false, failure });
    });
    outgoing.end(request.body);
  });
}

/** Reads a whole (non-streamed) body, at most `limit` bytes. Throws UpstreamBodyError. */
export async function readBody(body: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyChunks(body)) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new UpstreamBodyError('too-large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The chunks of a body; a connection that breaks or falls silent ends it with UpstreamBodyError. */
export async function* bodyChunks(body: IncomingMessage): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch {
    throw new UpstreamBodyError(silenced.has(body) ? 'timeout' : 'cut');
  }
  if (silenced.has(body)) throw new UpstreamBodyError('timeout');
  // A response whose connection closed before its declared end is not complete.
  if (!body.complete) throw new UpstreamBodyError('cut');
}
