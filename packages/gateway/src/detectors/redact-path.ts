// Facts name where a finding was, never what it was: a path segment that is itself a finding
// (an object key holding a token, an IBAN used as a key) is replaced by `*` before it is reported.

// Name-like segments of a path built by collectStrings (or by a caller using dots and brackets).
const SEGMENT = /[^.[\]#]+/g;

/** Replaces every path segment for which `isSensitive` holds with `*`. */
export function redactPath(path: string, isSensitive: (segment: string) => boolean): string {
  return path.replace(SEGMENT, (segment) => (isSensitive(segment) ? '*' : segment));
}

/** Most paths listed in one detector's facts; `count` still counts every finding. */
export const MAX_FACT_PATHS = 64;

/** Sorted unique paths, at most {@link MAX_FACT_PATHS}. */
export function factPaths(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort().slice(0, MAX_FACT_PATHS);
}
