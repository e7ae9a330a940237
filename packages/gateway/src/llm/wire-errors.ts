// Errors as the agent's client expects them, made only here at the edge (CONVENTIONS 4): the
// OpenAI shape `{error: {message, type, param, code}}` on /v1/chat/completions, /v1/responses and
// /v1/models, the Anthropic shape `{type: "error", error: {type, message}}` on /v1/messages. Each
// carries a stable zt4ai `code`; messages are fixed sentences or the guard's safe reasons.
import type { VerifyErrorCode } from '@zt4ai/verify';
import type { LlmEndpoint } from './protocol.js';

/** Stable codes of the LLM gateway's refusals and failures. */
export type LlmErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'permission_denied'
  | 'approval_required'
  | 'server_side_context_denied'
  | 'model_not_available'
  | 'budget_exceeded'
  | 'budget_unavailable'
  | 'rate_limited'
  | 'decision_unrecorded'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'upstream_unreachable'
  | 'upstream_invalid_response'
  | 'upstream_stream_cut'
  | 'unavailable'
  | 'internal';

export interface LlmWireError {
  readonly status: number;
  /** Ours, or identity's for authentication failures (docs/identity.md, "Error codes"). */
  readonly code: LlmErrorCode | VerifyErrorCode;
  readonly message: string;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers?: Readonly<Record<string, string>>;
}

const OPENAI_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

const ANTHROPIC_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function wireError(
  status: number,
  code: LlmErrorCode | VerifyErrorCode,
  message: string,
  headers?: Readonly<Record<string, string>>,
): LlmWireError {
  return headers === undefined ? { status, code, message } : { status, code, message, headers };
}

/** The response body of `error` in the API of `endpoint`. */
export function errorBody(endpoint: LlmEndpoint | 'models', error: LlmWireError): unknown {
  if (endpoint === 'messages') {
    const type = ANTHROPIC_TYPES[error.status] ?? 'api_error';
    return { type: 'error', error: { type, message: error.message, code: error.code } };
  }
  const type = OPENAI_TYPES[error.status] ?? 'server_error';
  return { error: { message: error.message, type, param: null, code: error.code } };
}

/** The same error as one event of a stream that has already started. */
export function streamErrorEvent(
  endpoint: LlmEndpoint,
  error: LlmWireError,
  sequence: number,
): string {
  if (endpoint === 'chat') return `data: ${JSON.stringify(errorBody('chat', error))}\n\n`;
  if (endpoint === 'messages')
    return `event: error\ndata: ${JSON.stringify(errorBody('messages', error))}\n\n`;
  // The Responses API's `error` event carries code and message at the top; clients read them from
  // an `error` object too (the openai SDK throws on `data.error`): both are given.
  const event = {
    type: 'error',
    code: error.code,
    message: error.message,
    param: null,
    sequence_number: sequence,
    error: { type: 'server_error', code: error.code, message: error.message, param: null },
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}
