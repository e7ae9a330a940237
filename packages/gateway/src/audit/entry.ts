// Turns an event into the exact bytes of a log entry: RFC 8785 canonical JSON with its leaf index.
// Each member is canonicalized once when the event is checked; sequencing only slots `"index":N`
// into the sorted members (RFC 8785 §3.2.3 orders keys by UTF-16 code units).
import canonicalize from 'canonicalize';
import { ZtError } from '../errors.js';

/** Keys the log writes itself; an event that carries them is refused. */
const RESERVED_KEYS = ['index'] as const;
const MAX_TYPE_LENGTH = 128;
/** Room left for `"index":N,` when the size of an event is checked before it is sequenced. */
const INDEX_FIELD_BYTES = 28;

/** An event that has been checked and can be sequenced: its members, canonical and sorted. */
export interface PreparedEvent {
  readonly members: ReadonlyArray<readonly [key: string, canonical: string]>;
  readonly bytes: number;
}

/**
 * Checks an untrusted event — a plain JSON object with a non-empty string `type` and no reserved
 * key — adds `extra` members (the caller's own, which win), and checks that its canonical form
 * stays within `maxEntryBytes` once its index is added.
 */
export function prepareEvent(
  input: unknown,
  maxEntryBytes: number,
  extra: Readonly<Record<string, unknown>> = {},
): PreparedEvent {
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
  const merged = { ...event, ...extra };
  const members = Object.keys(merged)
    .filter((key) => merged[key] !== undefined)
    .sort(compareUtf16)
    .map((key) => [key, canonicalValue(merged[key])] as const);
  const bytes = members.reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8') + 4,
    2,
  );
  if (bytes + INDEX_FIELD_BYTES > maxEntryBytes) {
    throw new ZtError('entry-too-large', `an audit entry is limited to ${maxEntryBytes} bytes`);
  }
  return { members, bytes };
}

/** The entry text for a prepared event at leaf `index`: canonical JSON including `"index"`. */
export function entryText(event: PreparedEvent, index: number): string {
  let text = '{';
  let placed = false;
  for (const [key, value] of event.members) {
    if (!placed && compareUtf16('index', key) < 0) {
      text += `"index":${index},`;
      placed = true;
    }
    text += `${JSON.stringify(key)}:${value},`;
  }
  if (!placed) text += `"index":${index},`;
  return `${text.slice(0, -1)}}`;
}

function canonicalValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new ZtError('invalid-entry', 'an audit event must contain only JSON values', { cause });
  }
  if (text === undefined)
    throw new ZtError('invalid-entry', 'an audit event must contain only JSON values');
  return text;
}

function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
