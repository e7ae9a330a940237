// Sends an admitted call to its provider and relays the answer to the agent (DESIGN §2 step 7): a
// whole answer is read, its proposed calls screened, and sent; a streamed one goes out event by
// event as it arrives, proposed calls held until complete and screened. Provider failures — an
// error status, silence past the timeout, a stream cut midway — become the API's own error shapes;
// what arrived is kept for the audit log and for metering.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AnswerSink } from './answer-sink.js';
import type { CallStatus } from './call-audit.js';
import { parseRecord } from './json-values.js';
import type { AdmittedCall, CallComponents } from './llm-call.js';
import { newTranscript, type Transcript } from './protocol.js';
import { SseParser } from './sse.js';
import { bodyChunks, readBody, sendUpstream, UpstreamBodyError } from './upstream-client.js';
import { errorBody, type LlmWireError, streamErrorEvent, wireError } from './wire-errors.js';

/** What the provider may have charged when it reported no usage (settlement estimates it). */
export type Charged = 'nothing' | 'input' | 'what-arrived';

export interface RelayOutcome {
  readonly status: CallStatus;
  readonly httpStatus: number;
  readonly transcript: Transcript;
  /** The answer as received, for the audit log (streams: their events, up to a cap). */
  readonly raw: string | undefined;
  readonly charged: Charged;
  readonly upstreamMs: number;
}

/** Largest error body read from a provider. */
const MAX_ERROR_BYTES = 1024 * 1024;
/** Largest part of a stream kept verbatim for the audit log (the transcript keeps all content). */
const MAX_RECORDED_STREAM_BYTES = 8 * 1024 * 1024;
const PASSED_STATUSES = new Set([500, 502, 503, 504, 529]);

export async function relay(
  c: CallComponents,
  call: AdmittedCall,
  sink: AnswerSink,
  signal: AbortSignal,
): Promise<RelayOutcome> {
  const started = performance.now();
  const upstreamMs = (): number => performance.now() - started;
  if (signal.aborted) return outcome('client_closed', 499, 'nothing', upstreamMs());
  const response = await sendUpstream({
    ...call.upstream,
    timeoutMs: call.provider.timeoutMs,
    signal,
  });
  if (!response.ok) {
    if (response.failure === 'aborted') return outcome('client_closed', 499, 'input', upstreamMs());
    const error =
      response.failure === 'timeout'
        ? wireError(504, 'upstream_timeout', 'the model provider did not answer in time')
        : wireError(502, 'upstream_unreachable', 'the model provider could not be reached');
    sendError(sink, call, error);
    const status = response.failure === 'timeout' ? 'timeout' : 'upstream_error';
    return outcome(
      status,
      error.status,
      response.failure === 'timeout' ? 'input' : 'nothing',
      upstreamMs(),
    );
  }
  const headerMs = upstreamMs();
  const headers = answerHeaders(call, response.headers, headerMs);
  if (response.status >= 400) return upstreamFailure(c, call, sink, response, headerMs);
  const streamed =
    call.inspected.stream && String(response.headers['content-type']).includes('text/event-stream');
  return streamed
    ? streamAnswer(c, call, sink, response.body, headers, signal, headerMs)
    : wholeAnswer(c, call, sink, response.body, headers, headerMs);
}

async function wholeAnswer(
  c: CallComponents,
  call: AdmittedCall,
  sink: AnswerSink,
  body: IncomingMessage,
  headers: Record<string, string>,
  upstreamMs: number,
): Promise<RelayOutcome> {
  let text: string;
  try {
    text = (await readBody(body, c.config.maxResponseBytes)).toString('utf8');
  } catch (error) {
    const failure = error instanceof UpstreamBodyError ? error.failure : 'cut';
    const wire =
      failure === 'timeout'
        ? wireError(504, 'upstream_timeout', 'the model provider stopped answering')
        : failure === 'too-large'
          ? wireError(
              502,
              'upstream_invalid_response',
              'the model provider answered with too much data',
            )
          : wireError(502, 'upstream_stream_cut', 'the model provider ended its answer early');
    sendError(sink, call, wire);
    return outcome(failure === 'timeout' ? 'timeout' : 'cut', wire.status, 'input', upstreamMs);
  }
  const answer = parseRecord(text);
  if (answer === undefined) {
    const wire = wireError(
      502,
      'upstream_invalid_response',
      'the model provider answered with something that is not JSON',
    );
    sendError(sink, call, wire);
    return { ...outcome('failed', 502, 'input', upstreamMs), raw: text };
  }
  const transcript = call.protocol.readAnswer(answer);
  const verdicts = transcript.calls.length === 0 ? [] : await call.screen(transcript.calls);
  transcript.verdicts.push(...verdicts);
  const flagged = verdicts.filter((v) => v.action === 'flag').map((v) => v.call.id);
  sink.json(200, call.protocol.applyVerdicts(answer, verdicts), {
    ...headers,
    ...(flagged.length === 0 ? {} : { 'zt4ai-flagged-tool-calls': flagged.join(',') }),
  });
  return {
    status: 'completed',
    httpStatus: 200,
    transcript,
    raw: text,
    charged: 'what-arrived',
    upstreamMs,
  };
}

async function streamAnswer(
  c: CallComponents,
  call: AdmittedCall,
  sink: AnswerSink,
  body: IncomingMessage,
  headers: Record<string, string>,
  signal: AbortSignal,
  upstreamMs: number,
): Promise<RelayOutcome> {
  sink.start(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  const processor = call.protocol.stream(call.screen, call.inspected);
  const parser = new SseParser(c.config.maxResponseBytes);
  const recorded = new RawRecord();
  let failure: 'cut' | 'timeout' | 'too-large' | undefined;
  try {
    for await (const chunk of bodyChunks(body)) {
      recorded.add(chunk);
      for (const event of parser.push(chunk)) await sink.write(await processor.push(event));
      if (sink.closed) break;
    }
  } catch (error) {
    failure = error instanceof UpstreamBodyError ? error.failure : 'too-large';
  } finally {
    parser.end();
    if (!body.complete) body.destroy();
  }
  await sink.write(await processor.finish(!processor.complete));
  sink.end();
  const status: CallStatus = processor.complete
    ? processor.transcript.finish.includes('error')
      ? 'upstream_error'
      : 'completed'
    : signal.aborted || sink.closed
      ? 'client_closed'
      : failure === 'timeout'
        ? 'timeout'
        : 'cut';
  return {
    status,
    httpStatus: 200,
    transcript: processor.transcript,
    raw: recorded.text(),
    charged: 'what-arrived',
    upstreamMs,
  };
}

/** A provider's error status, answered in the API's shape without leaking the gateway's account. */
async function upstreamFailure(
  c: CallComponents,
  call: AdmittedCall,
  sink: AnswerSink,
  response: { status: number; headers: IncomingHttpHeaders; body: IncomingMessage },
  upstreamMs: number,
): Promise<RelayOutcome> {
  let text = '';
  try {
    text = (await readBody(response.body, MAX_ERROR_BYTES)).toString('utf8');
  } catch {
    // an error body that does not arrive whole changes nothing about the answer
  }
  const error = mapUpstreamError(response.status, text, response.headers);
  c.logger.warn(
    { call: call.ref.call, provider: call.provider.id, status: response.status },
    'the model provider refused a call',
  );
  sendError(sink, call, error);
  return { ...outcome('upstream_error', error.status, 'nothing', upstreamMs), raw: text };
}

export function mapUpstreamError(
  status: number,
  text: string,
  headers: IncomingHttpHeaders,
): LlmWireError {
  if (status === 401 || status === 403 || status === 407)
    return wireError(502, 'upstream_error', "the model provider refused the gateway's credentials");
  if (status === 429) {
    const retry = String(headers['retry-after'] ?? '');
    return wireError(
      429,
      'rate_limited',
      'the model provider is rate limiting; retry later',
      /^\d{1,6}$/.test(retry) ? { 'retry-after': retry } : undefined,
    );
  }
  if (status >= 500)
    return wireError(
      PASSED_STATUSES.has(status) ? status : 502,
      'upstream_error',
      `the model provider failed (${status})`,
    );
  const message = providerMessage(text);
  return wireError(
    status,
    'upstream_error',
    message === undefined
      ? `the model provider refused the request (${status})`
      : `the model provider refused the request: ${message}`,
  );
}

/** `error.message` of an OpenAI- or Anthropic-shaped error body, bounded. */
function providerMessage(text: string): string | undefined {
  const body = parseRecord(text);
  const error = body?.error;
  const message =
    typeof error === 'object' && error !== null
      ? (error as { message?: unknown }).message
      : undefined;
  return typeof message === 'string' && message !== '' ? message.slice(0, 1000) : undefined;
}

function sendError(sink: AnswerSink, call: AdmittedCall, error: LlmWireError): void {
  if (!sink.started) {
    sink.json(error.status, errorBody(call.protocol.endpoint, error), {
      ...error.headers,
      'zt4ai-call': call.ref.call,
    });
    return;
  }
  void sink.write(streamErrorEvent(call.protocol.endpoint, error, 0)).then(() => sink.end());
}

/** Headers of an answer: the call and conversation ids, timings, the provider's request id. */
function answerHeaders(
  call: AdmittedCall,
  upstream: IncomingHttpHeaders,
  upstreamMs: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    'zt4ai-call': call.ref.call,
    'zt4ai-conversation': call.ref.conversation,
    'server-timing': [
      `admit;dur=${call.timings.admitMs.toFixed(3)}`,
      `decide;dur=${call.timings.decideMs.toFixed(3)}`,
      `record;dur=${call.timings.recordMs.toFixed(3)}`,
      `upstream;dur=${upstreamMs.toFixed(3)}`,
      `gateway;dur=${(performance.now() - call.startedMs).toFixed(3)}`,
    ].join(', '),
  };
  for (const name of ['x-request-id', 'request-id']) {
    const value = upstream[name];
    if (typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value)) headers[name] = value;
  }
  return headers;
}

function outcome(
  status: CallStatus,
  httpStatus: number,
  charged: Charged,
  upstreamMs: number,
): RelayOutcome {
  return { status, httpStatus, transcript: newTranscript(), raw: undefined, charged, upstreamMs };
}

/** The first MAX_RECORDED_STREAM_BYTES of a stream, verbatim. */
class RawRecord {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;

  add(chunk: Buffer): void {
    if (this.#size + chunk.length > MAX_RECORDED_STREAM_BYTES) {
      this.#truncated = true;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  text(): string {
    const text = Buffer.concat(this.#chunks, this.#size).toString('utf8');
    return this.#truncated
      ? `${text}\n: [zt4ai: the rest of the stream was not kept verbatim]\n`
      : text;
  }
}
