// Request bodies of the LLM endpoints: UTF-8 JSON objects, parsed once. The gateway forwards the
// parsed object re-serialized, so the provider reads exactly what the gateway checked (a duplicate
// key cannot mean one thing here and another there); every field, known or not, goes on unchanged
// in value. Integers beyond ±2^53 cannot survive that and are refused instead of being altered.
import { ZtError } from '../errors.js';
import { isRecord, type JsonRecord } from './json-values.js';

class UnsafeInteger extends Error {}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
    throw new UnsafeInteger();
  return value;
}

/** Throws ZtError `invalid-json` (not JSON, not an object) or `invalid-argument` (unsafe integer). */
export function parseJsonBody(body: Buffer): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'), reviver);
  } catch (error) {
    if (error instanceof UnsafeInteger)
      throw new ZtError(
        'invalid-argument',
        'the body holds an integer beyond ±2^53, which cannot be forwarded exactly',
      );
    throw new ZtError('invalid-json', 'request body is not valid JSON');
  }
  if (!isRecord(value)) throw new ZtError('invalid-json', 'request body must be a JSON object');
  return value;
}
