// A streamed Responses API answer: named events (`response.created`, `response.output_item.added`,
// `response.output_text.delta`, …, `response.completed`), each with a `sequence_number`. Events pass
// through as they come until a function-call item starts; from there every event is held until
// that item is done (its arguments are then complete), the call is screened, and the held events
// go out — or, when the call is stripped, a message item with the refusal takes its place at the
// same output index (also in the final `response.completed`). Sequence numbers are rewritten only
// when the number of events changed.
import { isRecord, type JsonRecord, parseRecord, records } from './json-values.js';
import { CALL_ITEMS, itemCall, outputText, refusalMessage } from './responses-items.js';
import { addText, newTranscript, type ScreenCalls, type StreamProcessor } from './protocol.js';
import { comment, formatEvent, passEvent, type SseEvent } from './sse.js';
import { refusalText } from './tool-call-screen.js';
import { responsesUsage } from './token-usage.js';
import { streamErrorEvent, wireError } from './wire-errors.js';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

interface Held {
  readonly event: SseEvent;
  readonly json: JsonRecord;
}

export class ResponsesStream implements StreamProcessor {
  readonly transcript = newTranscript();
  readonly #screen: ScreenCalls;
  /** The output index of the call item being held, and the events held since it started. */
  #open: number | undefined;
  #held: Held[] = [];
  /** Output index → refusal message item that replaced a stripped call. */
  readonly #replaced = new Map<number, JsonRecord>();
  /** The sequence number the next event sent to the agent carries. */
  #sequence = 0;
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
    if (this.#open === undefined) {
      const item = isRecord(json.item) ? json.item : undefined;
      if (type === 'response.output_item.added' && CALL_ITEMS.has(String(item?.type))) {
        this.#open = Number(json.output_index);
        this.#held = [{ event, json }];
        return '';
      }
      return this.#emit([{ event, json }]);
    }
    this.#held.push({ event, json });
    if (type !== 'response.output_item.done' || Number(json.output_index) !== this.#open) return '';
    return this.#release(json);
  }

  async finish(cut: boolean): Promise<string> {
    if (this.#open !== undefined) {
      // The call never completed: recorded, never passed on.
      const last = this.#held.at(-1)?.json;
      const item = isRecord(last?.item) ? last.item : {};
      this.transcript.calls.push(itemCall(item, this.#open));
    }
    this.#open = undefined;
    this.#held = [];
    if (!cut) return '';
    const error = wireError(
      502,
      'upstream_stream_cut',
      'the model provider ended the stream early',
    );
    return streamErrorEvent('responses', error, this.#sequence++);
  }

  /** Transcript and usage from every event, held or not. */
  #observe(type: string, json: JsonRecord): void {
    if (type === 'response.output_text.delta' || type === 'response.refusal.delta')
      addText(this.transcript, 'text', json.delta);
    else if (
      type === 'response.reasoning_summary_text.delta' ||
      type === 'response.reasoning_text.delta'
    )
      addText(this.transcript, 'reasoning', json.delta);
    const response = isRecord(json.response) ? json.response : undefined;
    if (typeof response?.id === 'string') this.transcript.responseId = response.id;
    if (TERMINAL.has(type)) {
      this.#complete = true;
      this.transcript.finish.push(type === 'error' ? 'error' : String(response?.status ?? type));
      const usage = responsesUsage(response?.usage);
      if (usage !== undefined) this.transcript.usage = usage;
    }
  }

  /** The held call item is done: screen it and send what was held, or its replacement. */
  async #release(done: JsonRecord): Promise<string> {
    const index = this.#open as number;
    const held = this.#held;
    this.#open = undefined;
    this.#held = [];
    const item = isRecord(done.item) ? done.item : {};
    const call = itemCall(item, index);
    this.transcript.calls.push(call);
    this.transcript.outputBytes += Buffer.byteLength(call.arguments);
    const [verdict] = await this.#screen([call]);
    if (verdict === undefined) return '';
    this.transcript.verdicts.push(verdict);
    if (verdict.action === 'pass') return this.#emit(held);
    if (verdict.action === 'flag')
      return (
        comment(
          `zt4ai flagged tool call ${call.id} (${verdict.tool}): ${verdict.reasons.join('; ')}`,
        ) + this.#emit(held)
      );
    const message = refusalMessage(refusalText(verdict));
    this.#replaced.set(index, message);
    const own = (h: Held): boolean => Number(h.json.output_index) === index;
    return this.#emit([...replacementEvents(index, message), ...held.filter((h) => !own(h))]);
  }

  /** Sends events in order, with consecutive sequence numbers and replaced items patched in. */
  #emit(events: readonly Held[]): string {
    let out = '';
    for (const { event, json } of events) {
      const sequence = this.#sequence++;
      const patched = this.#patchFinal(json);
      if (!patched && json.sequence_number === sequence && event.raw !== '') {
        out += passEvent(event);
        continue;
      }
      if (typeof json.sequence_number === 'number' || event.raw === '')
        json.sequence_number = sequence;
      out += formatEvent(event.event ?? String(json.type), JSON.stringify(json));
    }
    return out;
  }

  /** The final response object lists the output items: replaced calls are replaced there too. */
  #patchFinal(json: JsonRecord): boolean {
    if (this.#replaced.size === 0 || !TERMINAL.has(String(json.type))) return false;
    const output = isRecord(json.response) ? json.response.output : undefined;
    if (!Array.isArray(output)) return false;
    for (const [index, message] of this.#replaced)
      if (index < output.length) output[index] = message;
    return true;
  }
}

/** The events of a message item holding `message`'s refusal, at `index` (events made here). */
function replacementEvents(index: number, message: JsonRecord): Held[] {
  const text = String(records(message.content)[0]?.text ?? '');
  const base = { item_id: message.id, output_index: index, content_index: 0 };
  const made = (json: JsonRecord): Held => ({
    event: { event: String(json.type), data: '', raw: '' },
    json: { ...json, sequence_number: 0 },
  });
  return [
    made({
      type: 'response.output_item.added',
      output_index: index,
      item: { ...message, status: 'in_progress', content: [] },
    }),
    made({ type: 'response.content_part.added', ...base, part: outputText('') }),
    made({ type: 'response.output_text.delta', ...base, delta: text, logprobs: [] }),
    made({ type: 'response.output_text.done', ...base, text, logprobs: [] }),
    made({ type: 'response.content_part.done', ...base, part: outputText(text) }),
    made({ type: 'response.output_item.done', output_index: index, item: message }),
  ];
}
