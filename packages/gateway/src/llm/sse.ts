// Server-sent events (WHATWG HTML §9.2 "Server-sent events", event stream interpretation): an
// incremental parser for what providers stream, keeping each event's own text so that an event the
// gateway does not change is passed on as it came, and the writer for the events it does change.
import { ZtError } from '../errors.js';

export interface SseEvent {
  /** The `event:` field, when the stream names its events (Anthropic, Responses API). */
  readonly event: string | undefined;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The event's lines as received (line ends normalized), without the blank line ending it. */
  readonly raw: string;
}

const LINE_END = /\r\n|\r|\n/;
const LINE_BREAK = /[\r\n]/g;

export class SseParser {
  readonly #maxEventBytes: number;
  readonly #decoder = new TextDecoder('utf-8');
  #buffer = '';
  /** Lines of the event being read. */
  #lines: string[] = [];
  #pending = 0;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Parses the next bytes; returns the events they complete. Throws on an oversized event. */
  push(chunk: Uint8Array): SseEvent[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const at = lineEnd(this.#buffer, start);
      if (at === undefined) break;
      const line = this.#buffer.slice(start, at.index);
      start = at.next;
      if (line !== '') {
        this.#lines.push(line);
        this.#pending += line.length;
        continue;
      }
      const event = parseBlock(this.#lines);
      this.#lines = [];
      this.#pending = 0;
      if (event !== undefined) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#pending + this.#buffer.length > this.#maxEventBytes)
      throw new ZtError('invalid-argument', 'an upstream event is larger than allowed');
    return events;
  }

  /** The stream ended. HTML §9.2.6: an event not closed by a blank line is discarded. */
  end(): void {
    this.#decoder.decode();
    this.#buffer = '';
    this.#lines = [];
    this.#pending = 0;
  }
}

/** The end of the next line at or after `from` ("\r\n", "\n" or "\r"), when it is complete. */
function lineEnd(text: string, from: number): { index: number; next: number } | undefined {
  LINE_BREAK.lastIndex = from;
  const match = LINE_BREAK.exec(text);
  if (match === null) return undefined;
  const index = match.index;
  if (text[index] === '\n') return { index, next: index + 1 };
  // A "\r" at the very end may be the first half of "\r\n": wait for more.
  if (index === text.length - 1) return undefined;
  return { index, next: text[index + 1] === '\n' ? index + 2 : index + 1 };
}

function parseBlock(lines: readonly string[]): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of lines) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event === undefined) return undefined;
  return { event, data: data.join('\n'), raw: lines.join('\n') };
}

/** One event as text to send: `event:` when named, then the data, then the blank line. */
export function formatEvent(event: string | undefined, data: string): string {
  const lines = data.split(LINE_END).map((line) => `data: ${line}`);
  return `${event === undefined ? '' : `event: ${event}\n`}${lines.join('\n')}\n\n`;
}

/** An event passed on unchanged. */
export function passEvent(event: SseEvent): string {
  return `${event.raw}\n\n`;
}

/** An SSE comment: ignored by every client, visible to a person reading the stream. */
export function comment(text: string): string {
  return `: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`;
}
