// fetch under a long-lived AbortSignal without piling listeners on it. The MCP SDK's HTTP client
// transports pass their one transport-wide signal to every request; undici adds an abort listener
// to that signal per request and drops it only when the request is garbage-collected, so under load
// thousands accumulate (Node warns past 1,500, and each new listener costs a scan of the others).
// Here every request gets its own signal, linked to the transport's only until the response body
// has been read to its end, failed or been cancelled. Hand-written: AbortSignal.any leaks on
// Node 20, and no maintained package does this.

export function linkedAbortFetch(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const outer = init?.signal;
    if (outer === undefined || outer === null) return base(input, init);
    const inner = new AbortController();
    const forward = (): void => inner.abort(outer.reason);
    const unlink = (): void => outer.removeEventListener('abort', forward);
    if (outer.aborted) forward();
    else outer.addEventListener('abort', forward, { once: true });
    let response: Response;
    try {
      response = await base(input, { ...init, signal: inner.signal });
    } catch (error) {
      unlink();
      throw error;
    }
    if (response.body === null) {
      unlink();
      return response;
    }
    return withBody(response, unlinkOnEnd(response.body, unlink));
  };
}

/** The body, calling `done` once when it ends, fails or is cancelled. */
function unlinkOnEnd(
  body: ReadableStream<Uint8Array>,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          done();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
}

/** The same response with another body; keeps `url` and `redirected`, which callers check. */
function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  const copy = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, 'url', { value: response.url });
  Object.defineProperty(copy, 'redirected', { value: response.redirected });
  return copy;
}
