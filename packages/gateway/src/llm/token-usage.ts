// Token usage in one shape for every model API (input, cached input, cache writes, output,
// reasoning), as each provider reports it, or as estimated from what arrived when it did not.
import { count, isRecord } from './json-values.js';

export interface TokenUsage {
  /** Every input token, cached and cache-written ones included. */
  readonly input: number;
  /** Input tokens read from the provider's prompt cache (part of `input`). */
  readonly cachedInput: number;
  /** Input tokens written to the prompt cache (part of `input`). */
  readonly cacheWrite: number;
  /** Every output token, reasoning included. */
  readonly output: number;
  /** Reasoning tokens (part of `output`) where the provider reports them. */
  readonly reasoning: number;
}

export const NO_USAGE: TokenUsage = {
  input: 0,
  cachedInput: 0,
  cacheWrite: 0,
  output: 0,
  reasoning: 0,
};

/** Chat Completions `usage` (prompt_tokens include cached ones). */
export function chatUsage(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  return {
    input: count(usage.prompt_tokens),
    cachedInput: count(detail(usage.prompt_tokens_details, 'cached_tokens')),
    cacheWrite: 0,
    output: count(usage.completion_tokens),
    reasoning: count(detail(usage.completion_tokens_details, 'reasoning_tokens')),
  };
}

/** Responses API `usage` (input_tokens include cached ones). */
export function responsesUsage(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  return {
    input: count(usage.input_tokens),
    cachedInput: count(detail(usage.input_tokens_details, 'cached_tokens')),
    cacheWrite: 0,
    output: count(usage.output_tokens),
    reasoning: count(detail(usage.output_tokens_details, 'reasoning_tokens')),
  };
}

/**
 * Anthropic `usage`: `input_tokens` excludes cache reads and writes, which are reported beside
 * it; they are added here so that `input` is every input token, as for the other APIs.
 */
export function anthropicUsage(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const cacheRead = count(usage.cache_read_input_tokens);
  const cacheWrite = count(usage.cache_creation_input_tokens);
  return {
    input: count(usage.input_tokens) + cacheRead + cacheWrite,
    cachedInput: cacheRead,
    cacheWrite,
    output: count(usage.output_tokens),
    reasoning: 0,
  };
}

/** Field-wise maximum: streamed usage grows, and a later report never lowers an earlier one. */
export function maxUsage(
  a: TokenUsage | undefined,
  b: TokenUsage | undefined,
): TokenUsage | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return {
    input: Math.max(a.input, b.input),
    cachedInput: Math.max(a.cachedInput, b.cachedInput),
    cacheWrite: Math.max(a.cacheWrite, b.cacheWrite),
    output: Math.max(a.output, b.output),
    reasoning: Math.max(a.reasoning, b.reasoning),
  };
}

function detail(details: unknown, key: string): unknown {
  return isRecord(details) ? details[key] : undefined;
}
