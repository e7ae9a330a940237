// An upper bound of a request's input tokens, before the provider counts them, for the pessimistic
// budget reservation. Byte-level BPE tokenizers (OpenAI, Anthropic, Llama) never make more tokens
// than UTF-8 bytes of text, and the request body holds all text (messages, instructions, tool
// schemas) plus JSON syntax that outweighs per-message special tokens. Media given by reference (an
// image URL, a file id) is not in the body: each such part adds a fixed allowance. The pricing step
// lowers the bound to the model's context window where the price table knows it.
import { isRecord } from './json-values.js';

/** Largest image cost in tokens of the supported APIs (high-detail tiles or patches), rounded up. */
export const IMAGE_TOKEN_ALLOWANCE = 8_192;
/** A referenced document or file: up to a large context window. */
export const FILE_TOKEN_ALLOWANCE = 200_000;

const IMAGE_PARTS = new Set(['image_url', 'input_image', 'image']);
const FILE_PARTS = new Set(['input_file', 'file', 'document', 'input_audio']);
const MAX_WALK = 100_000;
const MAX_DEPTH = 64;

export function inputTokenBound(bodyBytes: number, body: unknown): number {
  let allowance = 0;
  let visited = 0;
  let truncated = false;
  const walk = (value: unknown, depth: number): void => {
    if ((visited += 1) > MAX_WALK || depth > MAX_DEPTH) {
      truncated = true;
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    if (!isRecord(value)) return;
    const type = value.type;
    if (typeof type === 'string') {
      if (IMAGE_PARTS.has(type)) allowance += IMAGE_TOKEN_ALLOWANCE;
      else if (FILE_PARTS.has(type)) allowance += FILE_TOKEN_ALLOWANCE;
    }
    for (const child of Object.values(value)) walk(child, depth + 1);
  };
  walk(body, 0);
  // A body too large or deep to walk may hide references: count one large file (fail closed).
  if (truncated) allowance += FILE_TOKEN_ALLOWANCE;
  return bodyBytes + allowance;
}
