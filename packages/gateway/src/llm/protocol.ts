// What the gateway needs from each model API it speaks (OpenAI Chat Completions, OpenAI Responses,
// Anthropic Messages): read a request's bindings and bounds, prepare the body sent upstream, read
// an answer, and rewrite it when proposed tool calls were stripped — streamed or not.
import type { LlmProviderKind } from '../config/index.js';
import type { JsonRecord } from './json-values.js';
import type { SseEvent } from './sse.js';
import type { TokenUsage } from './token-usage.js';

export type LlmEndpoint = 'chat' | 'responses' | 'messages';

/** What a request carries that the gateway decides on, read before anything is sent. */
export interface InspectedRequest {
  /** The model id as the agent wrote it. */
  readonly model: string;
  readonly stream: boolean;
  /**
   * The prompt configuration the binding check compares with the certificate's. `tools` is
   * undefined when the request offers none: a call without tools cannot reach any, so it is not
   * drift; a call with tools must offer exactly the approved ones.
   */
  readonly prompt: {
    readonly system: string;
    readonly tools: readonly unknown[] | undefined;
    readonly params: Readonly<Record<string, unknown>>;
  };
  /** The output ceiling the request names (per choice), if any. */
  readonly maxOutputTokens: number | undefined;
  /** Answers requested (`n` of Chat Completions); 1 elsewhere. */
  readonly choices: number;
  /** The field that refers to context kept by the provider, if any (`previous_response_id`, …). */
  readonly serverContext: string | undefined;
  /** The first message that is not an instruction: seeds a derived conversation id. */
  readonly conversationSeed: unknown;
  /** Chat Completions: the agent itself asked for the usage chunk. */
  readonly wantsStreamUsage: boolean;
}

/** A tool call the model proposes. */
export interface ProposedCall {
  /** Where it sits in the answer (adapter-specific). */
  readonly key: string;
  readonly id: string;
  /** The function name as the model wrote it. */
  readonly name: string;
  /** The arguments as the model wrote them (JSON text, possibly malformed). */
  readonly arguments: string;
}

/** What becomes of a proposed call: passed on, stripped (with a refusal) or passed flagged. */
export type CallAction = 'pass' | 'strip' | 'flag';

export interface CallVerdict {
  readonly call: ProposedCall;
  /** The guard's tool name (`server/tool`). */
  readonly tool: string;
  readonly action: CallAction;
  readonly decision: string;
  readonly reasons: readonly string[];
  readonly pendingRequest?: string | undefined;
  /** Audit index of the decision, once durable. */
  readonly index?: number | undefined;
}

/** Screens proposed calls through the guard; resolves once every decision is recorded. */
export type ScreenCalls = (calls: readonly ProposedCall[]) => Promise<CallVerdict[]>;

/** What an answer said, for the audit log and for metering. */
export interface Transcript {
  text: string;
  reasoning: string;
  readonly calls: ProposedCall[];
  readonly verdicts: CallVerdict[];
  readonly finish: string[];
  usage: TokenUsage | undefined;
  /** UTF-8 bytes of text, reasoning and call arguments received: bounds the output tokens. */
  outputBytes: number;
  responseId: string | undefined;
}

export function newTranscript(): Transcript {
  return {
    text: '',
    reasoning: '',
    calls: [],
    verdicts: [],
    finish: [],
    usage: undefined,
    outputBytes: 0,
    responseId: undefined,
  };
}

/** Adds streamed or answered text to a transcript. */
export function addText(transcript: Transcript, field: 'text' | 'reasoning', text: unknown): void {
  if (typeof text !== 'string' || text === '') return;
  transcript[field] += text;
  transcript.outputBytes += Buffer.byteLength(text);
}

export interface UpstreamBodyOptions {
  readonly providerKind: LlmProviderKind;
  /** An output ceiling the gateway sets because the request names none (calls under a budget). */
  readonly maxOutputTokens: number | undefined;
}

/** Processes one streamed answer, event by event, in order. */
export interface StreamProcessor {
  /** One upstream event in; the text to send the agent out (possibly nothing yet). */
  push(event: SseEvent): Promise<string>;
  /** The upstream stream is over; `cut` when it ended before its terminal event. */
  finish(cut: boolean): Promise<string>;
  /** True once the API's terminal event was seen. */
  readonly complete: boolean;
  readonly transcript: Transcript;
}

export interface LlmProtocol {
  readonly endpoint: LlmEndpoint;
  /** Provider kinds that speak this API. */
  accepts(kind: LlmProviderKind): boolean;
  /** Reads the request; throws ZtError `invalid-argument` with a clear message for bad input. */
  inspect(body: JsonRecord, namespace: string): InspectedRequest;
  /** The body sent upstream: the agent's, every field kept, with the gateway's additions. */
  upstreamBody(
    body: JsonRecord,
    inspected: InspectedRequest,
    options: UpstreamBodyOptions,
  ): JsonRecord;
  readAnswer(answer: JsonRecord): Transcript;
  /** The answer with stripped calls replaced by refusals (changes `answer` in place). */
  applyVerdicts(answer: JsonRecord, verdicts: readonly CallVerdict[]): JsonRecord;
  stream(screen: ScreenCalls, inspected: InspectedRequest): StreamProcessor;
}
