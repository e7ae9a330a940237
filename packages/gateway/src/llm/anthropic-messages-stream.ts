// A streamed Anthropic Messages answer: `message_start`, then content blocks (`content_block_start`,
// `content_block_delta` with `text_delta`, `thinking_delta`, `signature_delta` or
// `input_json_delta`, `content_block_stop`), `message_delta` with the stop reason and usage, and
// `message_stop`. Text and thinking pass through as they come. A `tool_use` block is held from its
// start to its stop (its input JSON is then complete) and screened; a stripped one becomes a text
// block with the refusal at the same index, so the indexes of later blocks stay right.
import { anthropicUsage, maxUsage } from './token-usage.js';
import { isRecord, type JsonRecord, parseRecord } from './json-values.js';
import {
  addText,
  newTranscript,
  type ProposedCall,
  type ScreenCalls,
  type StreamProcessor,
} from './protocol.js';
import { comment, formatEvent, passEvent, type SseEvent } from './sse.js';
import { refusalText } from './tool-call-screen.js';
import { streamErrorEvent, wireError } from './wire-errors.js';

interface OpenToolUse {
  readonly index: number;
  readonly block: JsonRecord;
  input: string;
  readonly held: SseEvent[];
}

export class AnthropicStream implements StreamProcessor {
  readonly transcript = newTranscript();
  readonly #screen: ScreenCalls;
  #open: OpenToolUse | undefined;
  #passedToolUses = 0;
  #strippedToolUses = 0;
  #complete = false;

  constructor(screen: ScreenCalls) {
    this.#screen = screen;
  }

  get complete(): boolean {
    return this.#complete;
  }

  async push(event: SseEvent): Promise<string> {
    const json = parseRecord(event.data);
    if (json === undefined) return '';
    const type = String(json.type);
    this.#observe(type, json);
    if (this.#open !== undefined) return this.#hold(event, type, json);
    if (type === 'content_block_start' && isRecord(json.content_block)) {
      if (json.content_block.type === 'tool_use') {
        this.#open = {
          index: Number(json.index),
          block: json.content_block,
          input: '',
          held: [event],
        };
        return '';
      }
    }
    if (type === 'message_delta') return this.#messageDelta(event, json);
    return passEvent(event);
  }

  async finish(cut: boolean): Promise<string> {
    if (this.#open !== undefined) {
      // The block never completed: recorded, never passed on.
      this.transcript.calls.push(blockCall(this.#open.block, this.#open.index, this.#open.input));
      this.#open = undefined;
    }
    if (!cut) return '';
    const error = wireError(
      502,
      'upstream_stream_cut',
      'the model provider ended the stream early',
    );
    return streamErrorEvent('messages', error, 0);
  }

  #observe(type: string, json: JsonRecord): void {
    if (type === 'message_start' && isRecord(json.message)) {
      const message = json.message;
      if (typeof message.id === 'string') this.transcript.responseId = message.id;
      this.transcript.usage = maxUsage(this.transcript.usage, anthropicUsage(message.usage));
    } else if (type === 'content_block_delta' && isRecord(json.delta)) {
      const delta = json.delta;
      if (delta.type === 'text_delta') addText(this.transcript, 'text', delta.text);
      else if (delta.type === 'thinking_delta')
        addText(this.transcript, 'reasoning', delta.thinking);
    } else if (type === 'content_block_start' && isRecord(json.content_block)) {
      const block = json.content_block;
      if (block.type === 'redacted_thinking')
        addText(this.transcript, 'reasoning', '[redacted thinking]');
      else if (block.type === 'text') addText(this.transcript, 'text', block.text);
    } else if (type === 'message_delta') {
      // message_delta usage is cumulative (output, and input fields where present).
      this.transcript.usage = maxUsage(this.transcript.usage, anthropicUsage(json.usage));
      const delta = isRecord(json.delta) ? json.delta : {};
      if (typeof delta.stop_reason === 'string') this.transcript.finish.push(delta.stop_reason);
    } else if (type === 'message_stop') {
      this.#complete = true;
    } else if (type === 'error') {
      this.transcript.finish.push('error');
      this.#complete = true;
    }
  }

  async #hold(event: SseEvent, type: string, json: JsonRecord): Promise<string> {
    const open = this.#open as OpenToolUse;
    open.held.push(event);
    const delta = isRecord(json.delta) ? json.delta : {};
    if (
      type === 'content_block_delta' &&
      delta.type === 'input_json_delta' &&
      typeof delta.partial_json === 'string'
    )
      open.input += delta.partial_json;
    if (type !== 'content_block_stop' || Number(json.index) !== open.index) return '';
    this.#open = undefined;
    const call = blockCall(open.block, open.index, open.input === '' ? '{}' : open.input);
    this.transcript.calls.push(call);
    this.transcript.outputBytes += Buffer.byteLength(call.arguments);
    const [verdict] = await this.#screen([call]);
    if (verdict === undefined) return '';
    this.transcript.verdicts.push(verdict);
    if (verdict.action !== 'strip') {
      this.#passedToolUses += 1;
      const flag =
        verdict.action === 'flag'
          ? comment(
              `zt4ai flagged tool call ${call.id} (${verdict.tool}): ${verdict.reasons.join('; ')}`,
            )
          : '';
      return flag + open.held.map(passEvent).join('');
    }
    this.#strippedToolUses += 1;
    return textBlock(open.index, refusalText(verdict));
  }

  /** A turn that stopped for tool use ends normally when every tool use was stripped. */
  #messageDelta(event: SseEvent, json: JsonRecord): string {
    const delta = isRecord(json.delta) ? json.delta : undefined;
    if (
      delta?.stop_reason !== 'tool_use' ||
      this.#strippedToolUses === 0 ||
      this.#passedToolUses > 0
    )
      return passEvent(event);
    delta.stop_reason = 'end_turn';
    return formatEvent('message_delta', JSON.stringify(json));
  }
}

/** A text block at `index` holding `text`: start, one delta, stop. */
function textBlock(index: number, text: string): string {
  return (
    formatEvent(
      'content_block_start',
      JSON.stringify({
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      }),
    ) +
    formatEvent(
      'content_block_delta',
      JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }),
    ) +
    formatEvent('content_block_stop', JSON.stringify({ type: 'content_block_stop', index }))
  );
}

/** A `tool_use` block as a proposed call; `input` is its input as JSON text. */
export function blockCall(block: JsonRecord, index: number, input: string): ProposedCall {
  return {
    key: String(index),
    id: typeof block.id === 'string' ? block.id : '',
    name: typeof block.name === 'string' ? block.name : '',
    arguments: input,
  };
}
