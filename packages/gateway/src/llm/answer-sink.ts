// Where an answer goes: the agent's HTTP response, written directly (streamed answers must reach
// the agent event by event, with the socket's back-pressure respected). A sink that the agent
// closed accepts writes and drops them; the caller learns it from `closed`.
import type { ServerResponse } from 'node:http';

export interface AnswerSink {
  /** Sends a whole answer. */
  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void;
  /** Starts a streamed answer. */
  start(status: number, headers: Readonly<Record<string, string>>): void;
  /** Sends part of a streamed answer; resolves when the socket can take more. */
  write(text: string): Promise<void>;
  end(): void;
  readonly started: boolean;
  readonly closed: boolean;
}

export function responseSink(response: ServerResponse): AnswerSink {
  let started = false;
  let closed = false;
  response.once('close', () => {
    if (!response.writableFinished) closed = true;
  });
  return {
    json(status, body, headers = {}) {
      if (started || closed) return;
      started = true;
      const text = JSON.stringify(body);
      response.writeHead(status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
      });
      response.end(text);
    },
    start(status, headers) {
      if (started || closed) return;
      started = true;
      response.writeHead(status, headers);
      response.flushHeaders();
    },
    write(text) {
      if (text === '' || closed || response.writableEnded) return Promise.resolve();
      if (response.write(text)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    },
    end() {
      // An agent that went away leaves nothing to finish: the connection is dropped, not kept.
      if (closed) response.destroy();
      else if (!response.writableEnded) response.end();
    },
    get started() {
      return started;
    },
    get closed() {
      return closed;
    },
  };
}
