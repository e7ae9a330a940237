// A streamed Chat Completions answer (`chat.completion.chunk` events, `data: [DONE]` last). Text
// and reasoning deltas pass through as they come; tool-call deltas are held until their choice
// finishes (the calls are then complete), screened, and sent as one delta per choice with the
// allowed calls renumbered — stripped ones become refusal text. The usage chunk the gateway asked
// for is passed on only if the agent asked for it too.
import { wireError, streamErrorEvent } from './wire-errors.js';
import { count, isRecord, type JsonRecord, omit, parseRecord, records } from './json-values.js';
import {
  addText,
  type CallVerdict,
  newTranscript,
  type ProposedCall,
  type ScreenCalls,
  type StreamProcessor,
} from './protocol.js';
import { comment, formatEvent, passEvent, type SseEvent } from './sse.js';
import { refusals } from './tool-call-screen.js';
import { chatUsage } from './token-usage.js';

interface HeldCall {
  id: string;
  type: string;
  name: string;
  args: string;
}

export class ChatStream implements StreamProcessor {
  readonly transcript = newTranscript();
  readonly #screen: ScreenCalls;
  readonly #agentWantsUsage: boolean;
  /** Held tool calls per choice index, by tool-call index. */
  readonly #held = new Map<number, Map<number, HeldCall>>();
  /** The last chunk: the envelope (id, model, …) of the chunks the gateway makes. */
  #envelope: JsonRecord | undefined;
  #complete = false;

  constructor(screen: ScreenCalls, agentWantsUsage: boolean) {
    this.#screen = screen;
    this.#agentWantsUsage = agentWantsUsage;
  }

  get complete(): boolean {
    return this.#complete;
  }

  async push(event: SseEvent): Promise<string> {
    if (event.data === '[DONE]') {
      this.#complete = true;
      return (await this.#unfinished()) + passEvent(event);
    }
    const chunk = parseRecord(event.data);
    // An event that is not JSON cannot be screened: it is not passed on.
    if (chunk === undefined) return '';
    this.#envelope = chunk;
    if (isRecord(chunk.error)) {
      this.transcript.finish.push('error');
      return passEvent(event);
    }
    if (isRecord(chunk.usage)) this.transcript.usage = chatUsage(chunk.usage);
    const choices = records(chunk.choices);
    if (choices.length === 0)
      return isRecord(chunk.usage) && !this.#agentWantsUsage ? '' : passEvent(event);
    let changed = false;
    let before = '';
    for (const choice of choices) {
      const result = await this.#choice(chunk, choice);
      changed ||= result.changed;
      before += result.before;
    }
    if (!changed) return passEvent(event);
    chunk.choices = choices.filter(
      (c) => typeof c.finish_reason === 'string' || Object.keys(asRecord(c.delta)).length > 0,
    );
    return (
      before +
      (records(chunk.choices).length > 0 ? formatEvent(undefined, JSON.stringify(chunk)) : '')
    );
  }

  async finish(cut: boolean): Promise<string> {
    // Calls still held never completed: they are recorded, never passed on.
    for (const [choice, calls] of this.#held) this.#record(proposed(choice, calls));
    this.#held.clear();
    if (!cut) return '';
    const error = wireError(
      502,
      'upstream_stream_cut',
      'the model provider ended the stream early',
    );
    return streamErrorEvent('chat', error, 0);
  }

  /** One choice of a chunk: absorbs its tool-call deltas; at its finish, screens and emits them. */
  async #choice(
    envelope: JsonRecord,
    choice: JsonRecord,
  ): Promise<{ changed: boolean; before: string }> {
    const index = count(choice.index);
    const delta = asRecord(choice.delta);
    addText(this.transcript, 'text', delta.content);
    addText(this.transcript, 'text', delta.refusal);
    addText(this.transcript, 'reasoning', delta.reasoning_content);
    addText(this.transcript, 'reasoning', delta.reasoning);
    let changed = false;
    if (Array.isArray(delta.tool_calls)) {
      this.#absorb(index, delta.tool_calls);
      delete delta.tool_calls;
      changed = true;
    }
    if (typeof choice.finish_reason !== 'string') return { changed, before: '' };
    this.transcript.finish.push(choice.finish_reason);
    const held = this.#held.get(index);
    if (held === undefined || held.size === 0) return { changed, before: '' };
    this.#held.delete(index);
    const calls = proposed(index, held);
    this.#record(calls);
    const verdicts = await this.#screen(calls);
    this.transcript.verdicts.push(...verdicts);
    if (choice.finish_reason === 'tool_calls' && verdicts.every((v) => v.action === 'strip'))
      choice.finish_reason = 'stop';
    return { changed: true, before: callsChunk(envelope, index, held, verdicts) };
  }

  /**
   * Calls of choices the provider ended without a finish reason (the stream is complete, so are
   * they): screened and sent before `[DONE]`.
   */
  async #unfinished(): Promise<string> {
    let out = '';
    for (const [choice, held] of [...this.#held]) {
      this.#held.delete(choice);
      if (held.size === 0 || this.#envelope === undefined) continue;
      const calls = proposed(choice, held);
      this.#record(calls);
      const verdicts = await this.#screen(calls);
      this.transcript.verdicts.push(...verdicts);
      out += callsChunk(this.#envelope, choice, held, verdicts);
    }
    return out;
  }

  #absorb(choice: number, deltas: unknown[]): void {
    let calls = this.#held.get(choice);
    if (calls === undefined) this.#held.set(choice, (calls = new Map()));
    for (const delta of records(deltas)) {
      const i = count(delta.index);
      const call = calls.get(i) ?? { id: '', type: 'function', name: '', args: '' };
      calls.set(i, call);
      if (typeof delta.id === 'string' && call.id === '') call.id = delta.id;
      if (delta.type === 'custom') call.type = 'custom';
      const fn = asRecord(call.type === 'custom' ? delta.custom : delta.function);
      if (typeof fn.name === 'string' && call.name === '') call.name = fn.name;
      const part = call.type === 'custom' ? fn.input : fn.arguments;
      if (typeof part === 'string') call.args += part;
    }
  }

  #record(calls: readonly ProposedCall[]): void {
    for (const call of calls) {
      this.transcript.calls.push(call);
      this.transcript.outputBytes += Buffer.byteLength(call.arguments);
    }
  }
}

function proposed(choice: number, held: Map<number, HeldCall>): ProposedCall[] {
  return [...held.entries()]
    .sort(([a], [b]) => a - b)
    .map(([i, call]) => ({
      key: `${choice}:${i}`,
      id: call.id,
      name: call.name,
      arguments: call.args,
    }));
}

/** The screened calls of one choice as one chunk: allowed ones renumbered, refusals as content. */
function callsChunk(
  envelope: JsonRecord,
  choice: number,
  held: Map<number, HeldCall>,
  verdicts: readonly CallVerdict[],
): string {
  const calls = [...held.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  const passing = calls.filter((_, i) => verdicts[i]?.action !== 'strip');
  const delta: JsonRecord = {};
  if (passing.length > 0) {
    delta.tool_calls = passing.map((call, n) => ({
      index: n,
      id: call.id,
      type: call.type,
      [call.type === 'custom' ? 'custom' : 'function']:
        call.type === 'custom'
          ? { name: call.name, input: call.args }
          : { name: call.name, arguments: call.args },
    }));
  }
  const refusal = refusals(verdicts);
  if (refusal !== '') delta.content = refusal;
  const flags = verdicts
    .filter((v) => v.action === 'flag')
    .map((v) =>
      comment(`zt4ai flagged tool call ${v.call.id} (${v.tool}): ${v.reasons.join('; ')}`),
    )
    .join('');
  const chunk = {
    ...omit(envelope, 'choices'),
    choices: [{ index: choice, delta, logprobs: null, finish_reason: null }],
  };
  return flags + formatEvent(undefined, JSON.stringify(chunk));
}

function asRecord(value: unknown): JsonRecord {
  return isRecord(value) ? value : {};
}
