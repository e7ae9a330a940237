// Walks untrusted, JSON-shaped tool arguments to every string leaf (and key) within fixed bounds,
// so that detectors can make the "conservative scan of every string argument" of DESIGN §6.
import { ZtError } from '../errors.js';

/** One string taken from a tool call or result, with the argument path it was found at. */
export type ScannedString = {
  /** Argument path such as `headers.authorization` or `rows[3].note`; never the scanned text. */
  readonly path: string;
  readonly value: string;
};

/** Bounds for {@link collectStrings}; exceeding any of them is a `detector-limit` error. */
export type CollectLimits = {
  /** Deepest nesting of arrays and objects walked (the root is depth 0). */
  readonly maxDepth: number;
  /** Most strings (values and keys) returned. */
  readonly maxStrings: number;
  /** Most arrays, objects and leaves visited. */
  readonly maxNodes: number;
  /** Most UTF-16 code units over all returned strings. */
  readonly maxTotalChars: number;
};

/** Default bounds: deep enough for real tool arguments, small enough to scan in milliseconds. */
export const DEFAULT_COLLECT_LIMITS: CollectLimits = {
  maxDepth: 32,
  maxStrings: 10_000,
  maxNodes: 100_000,
  maxTotalChars: 1024 * 1024,
};

/** Largest number of strings a detector accepts in one call. */
export const MAX_SCAN_STRINGS = DEFAULT_COLLECT_LIMITS.maxStrings;
/** Largest total size (UTF-16 code units, values plus paths) a detector accepts in one call. */
export const MAX_SCAN_CHARS = DEFAULT_COLLECT_LIMITS.maxTotalChars + 256 * 1024;

// Object keys that are plain names appear in paths; any other key is shown by its position only,
// so a path never carries free text (detectors additionally redact names that match a finding).
const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,63}$/;

/**
 * Returns every string leaf of `args` (and every object key, and finite numbers and bigints as
 * their decimal text), depth first in property order, each with its argument path.
 *
 * Only arrays and plain objects are entered; other objects, booleans, null and undefined are
 * skipped. The walk is iterative, so hostile nesting cannot overflow the stack.
 *
 * MUST NOT truncate silently: input beyond any bound throws ZtError `detector-limit`, so a guard
 * fails closed instead of deciding on a partial scan.
 */
export function collectStrings(
  args: unknown,
  limits: Partial<CollectLimits> = {},
): ScannedString[] {
  const bounds = { ...DEFAULT_COLLECT_LIMITS, ...limits };
  const out: ScannedString[] = [];
  let totalChars = 0;
  let nodes = 0;
  const emit = (path: string, value: string): void => {
    totalChars += value.length;
    if (out.length >= bounds.maxStrings || totalChars > bounds.maxTotalChars) {
      throw limitError('arguments exceed the detector size limit');
    }
    out.push({ path, value });
  };
  // A stack of pending nodes; pushed in reverse so the output keeps document order.
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: args, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    if (++nodes > bounds.maxNodes) throw limitError('arguments exceed the detector node limit');
    const { value, path, depth } = node;
    if (typeof value === 'string') {
      emit(path, value);
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) emit(path, String(value));
    } else if (typeof value === 'bigint') {
      emit(path, value.toString());
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= bounds.maxDepth) throw limitError('arguments nest deeper than the limit');
      const children = childrenOf(value, path, depth + 1);
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i];
        if (child !== undefined) stack.push(child);
      }
    }
  }
  return out;
}

/** Throws ZtError `detector-limit` when `values` is larger than a detector accepts. */
export function assertScanBounds(values: readonly ScannedString[]): void {
  if (!Array.isArray(values)) throw new TypeError('values must be an array of ScannedString');
  if (values.length > MAX_SCAN_STRINGS) throw limitError('too many strings for one detector call');
  let total = 0;
  for (const item of values as readonly unknown[]) {
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof (item as ScannedString).path !== 'string' ||
      typeof (item as ScannedString).value !== 'string'
    ) {
      throw new TypeError('each value must be { path: string, value: string }');
    }
    total += (item as ScannedString).value.length + (item as ScannedString).path.length;
  }
  if (total > MAX_SCAN_CHARS) throw limitError('input exceeds the detector size limit');
}

function childrenOf(
  value: object,
  path: string,
  depth: number,
): { value: unknown; path: string; depth: number }[] {
  if (Array.isArray(value)) {
    return value.map((item: unknown, index) => ({ value: item, path: `${path}[${index}]`, depth }));
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return [];
  const children: { value: unknown; path: string; depth: number }[] = [];
  let position = 0;
  for (const [key, item] of Object.entries(value)) {
    const segment = PLAIN_KEY.test(key) ? key : `[#${position}]`;
    const childPath =
      path === '' || !PLAIN_KEY.test(key) ? `${path}${segment}` : `${path}.${segment}`;
    // Keys are scanned too: an agent can smuggle data out through property names.
    children.push({ value: key, path: `${childPath}#key`, depth });
    children.push({ value: item, path: childPath, depth });
    position++;
  }
  return children;
}

function limitError(message: string): ZtError {
  return new ZtError('detector-limit', message);
}
