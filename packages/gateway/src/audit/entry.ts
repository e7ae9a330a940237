// Turns an event into the exact bytes of a log entry: RFC 8785 canonical JSON with its leaf index.
import canonicalize from 'canonicalize';
import { ZtError } from '../errors.js';

/** An event as callers give it: a JSON object with a `type`. */
export type AuditEvent = Readonly<Record<string, unknown>> & { readonly type: string };

/** Keys the log writes itself; an event that carries them is refused. */
const RESERVED_KEYS = ['index'] as const;
const MAX_TYPE_LENGTH = 128;
/** Room left for `"index":N,` when the size of an event is checked before it is sequenced. */
const INDEX_FIELD_BYTES = 28;

/** An event that has been checked and can be sequenced. */
export interface PreparedEvent {
  readonly event: Readonly<Record<string, unknown>>;
  readonly bytes: number;
}

/**
 * Checks an untrusted event: a plain JSON object with a non-empty string `type`, no reserved key,
 * and a canonical form within `maxEntryBytes` once its index is added.
 */
export function prepareEvent(input: unknown, maxEntryBytes: number): PreparedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ZtError('invalid-entry', 'an audit event must be a JSON object');
  }
  const event = input as Record<string, unknown>;
  const type = event.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new ZtError(
      'invalid-entry',
      'an audit event needs a "type" string of 1 to 128 characters',
    );
  }
  for (const key of RESERVED_KEYS) {
    if (Object.hasOwn(event, key)) {
      throw new ZtError('invalid-entry', `"${key}" is set by the log and cannot be given`);
    }
  }
  const text = canonicalText(event);
  const bytes = Buffer.byteLength(text, 'utf8') + INDEX_FIELD_BYTES;
  if (bytes > maxEntryBytes) {
    throw new ZtError('entry-too-large', `an audit entry is limited to ${maxEntryBytes} bytes`);
  }
  return { event, bytes };
}

/** The entry text for `event` at leaf `index`: canonical JSON including `"index": index`. */
export function entryText(event: Readonly<Record<string, unknown>>, index: number): string {
  return canonicalText({ ...event, index });
}

function canonicalText(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new ZtError('invalid-entry', 'an audit event must contain only JSON values', { cause });
  }
  if (text === undefined) throw new ZtError('invalid-entry', 'an audit event must be JSON');
  return text;
}

/** True when `text` is the canonical form of itself (what every stored entry must be). */
export function isCanonical(text: string): boolean {
  try {
    return canonicalize(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}
