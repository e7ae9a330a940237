// Checked reads of request fields: a field of the wrong type is refused with a message naming it
// (ZtError `invalid-argument`, a 400 at the edge), never coerced or ignored.
import { ZtError } from '../errors.js';
import { isRecord, type JsonRecord } from './json-values.js';

const MAX_MODEL_CHARS = 256;

function invalid(message: string): ZtError {
  return new ZtError('invalid-argument', message);
}

export function modelField(body: JsonRecord): string {
  const model = body.model;
  if (typeof model !== 'string' || model === '' || model.length > MAX_MODEL_CHARS)
    throw invalid(`"model" must be a model id of 1 to ${MAX_MODEL_CHARS} characters`);
  return model;
}

export function booleanField(body: JsonRecord, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(`"${key}" must be a boolean`);
  return value;
}

export function positiveIntField(body: JsonRecord, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalid(`"${key}" must be a positive integer`);
  return value;
}

export function arrayField(body: JsonRecord, key: string, required = false): unknown[] {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw invalid(`"${key}" is required`);
    return [];
  }
  if (!Array.isArray(value)) throw invalid(`"${key}" must be an array`);
  return value;
}

/** Every element of `messages`-like arrays must be an object with a string `role`. */
export function messageList(body: JsonRecord, key: string): JsonRecord[] {
  const list = arrayField(body, key, true);
  if (list.length === 0) throw invalid(`"${key}" must not be empty`);
  return list.map((message, index) => {
    if (!isRecord(message) || typeof message.role !== 'string')
      throw invalid(`"${key}[${index}]" must be a message with a "role"`);
    return message;
  });
}

export function refuse(message: string): never {
  throw invalid(message);
}
