// Small readers for untrusted JSON values (request and response bodies of model APIs): every
// accessor checks the type it returns, so adapters never trust the shape of what they read.

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function records(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function stringField(value: unknown, key: string): string | undefined {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/** A token count as providers report it: a non-negative safe integer, else 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** The text of a message `content`: a string, or the text of its text parts concatenated. */
export function contentText(content: unknown, textTypes: ReadonlySet<string>): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (isRecord(part) && textTypes.has(String(part.type)) && typeof part.text === 'string')
      text += part.text;
    // A part of another kind (an image in a system prompt) can match no template: mark it.
    else text += NON_TEXT_MARK;
  }
  return text;
}

/** Stands for non-text content where only text is expected; a prompt template never matches it. */
export const NON_TEXT_MARK = '\u0000';

/** A JSON object parsed from text, or undefined for anything else (malformed text included). */
export function parseRecord(text: string): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of `record` without `keys`. */
export function omit(record: JsonRecord, ...keys: string[]): JsonRecord {
  const copy: JsonRecord = { ...record };
  for (const key of keys) delete copy[key];
  return copy;
}
