// Cedar's `like` operator for the fast path (hand-written; the official engine stays the reference).
// Patterns only have one wildcard, `*` (any sequence, possibly empty); everything else is literal.
//
// Matching runs on UTF-16 code units while Cedar matches Unicode scalar values. The two agree for
// well-formed strings (the only strings the fast path evaluates): literals hold whole code points,
// so a wildcard can never end inside a surrogate pair.

/** A compiled pattern: the literal runs around and between wildcards. */
export interface LikePattern {
  /** Literal runs; with no wildcard there is exactly one. */
  readonly parts: readonly string[];
  readonly wildcard: boolean;
}

/** From the EST form: an array of `"Wildcard"` and `{ Literal: string }`; undefined if malformed. */
export function compileLikePattern(elements: unknown): LikePattern | undefined {
  if (!Array.isArray(elements)) return undefined;
  const parts: string[] = [''];
  let wildcard = false;
  let previousWildcard = false;
  for (const element of elements as unknown[]) {
    if (element === 'Wildcard') {
      wildcard = true;
      if (!previousWildcard) parts.push('');
      previousWildcard = true;
      continue;
    }
    if (typeof element !== 'object' || element === null) return undefined;
    const literal: unknown = (element as Record<string, unknown>)['Literal'];
    if (typeof literal !== 'string' || Object.keys(element).length !== 1) return undefined;
    parts[parts.length - 1] += literal;
    previousWildcard = false;
  }
  // A leading or trailing wildcard leaves an empty first or last run.
  return { parts, wildcard };
}

/**
 * True when `text` matches. Greedy leftmost placement of the inner runs is exact for `*`-only
 * patterns: the first run is a prefix, the last a suffix, inner runs found in order between.
 */
export function likeMatches(text: string, pattern: LikePattern): boolean {
  const { parts } = pattern;
  if (!pattern.wildcard) return text === parts[0];
  const head = parts[0] as string;
  const tail = parts[parts.length - 1] as string;
  if (text.length < head.length + tail.length) return false;
  if (!text.startsWith(head) || !text.endsWith(tail)) return false;
  let position = head.length;
  const end = text.length - tail.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = text.indexOf(part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}
