// Personal data in tool arguments: payment cards (ISO/IEC 7812, Luhn), IBANs (ISO 13616, mod 97),
// e-mail addresses (RFC 5322 addr-spec, lite) and telephone numbers (ITU-T E.164 and national).
import { assertScanBounds, type ScannedString } from './collect-strings.js';
import { findEmails } from './email.js';
import { findIbans } from './iban.js';
import { findCardNumbers } from './payment-card.js';
import { findPhoneNumbers } from './phone.js';
import { factPaths, redactPath } from './redact-path.js';
import type { TextMatch } from './text-match.js';

/** The kinds of personal data detected. */
export type PiiKind = 'card' | 'email' | 'iban' | 'phone';

/** One piece of personal data found in a string, normalized (for session taint, never for facts). */
export type PiiMatch = TextMatch & { readonly kind: PiiKind };

/**
 * Facts of {@link detectPii}. They never contain the personal data itself.
 * - `found`: any personal data at all;
 * - `kinds`: sorted unique kinds;
 * - `paths`: sorted unique argument paths holding it (at most 64; segments that are themselves
 *   personal data are shown as `*`);
 * - `count`: number of occurrences over all strings.
 */
export type PiiFacts = {
  readonly found: boolean;
  readonly kinds: readonly PiiKind[];
  readonly paths: readonly string[];
  readonly count: number;
};

/**
 * Every card number, IBAN, e-mail address and telephone number in `text`, normalized: cards as
 * digits, IBANs in electronic format, e-mail in lower case, phones as "+digits" or digits. A span
 * claimed by a card or IBAN is not reported again as a phone number.
 */
export function findPii(text: string): PiiMatch[] {
  const strong: PiiMatch[] = [
    ...findCardNumbers(text).map((m) => ({ ...m, kind: 'card' as const })),
    ...findIbans(text).map((m) => ({ ...m, kind: 'iban' as const })),
    ...findEmails(text).map((m) => ({ ...m, kind: 'email' as const })),
  ];
  const overlapsStrong = overlapTest(strong);
  const phones = findPhoneNumbers(text)
    .filter((p) => !overlapsStrong(p))
    .map((m) => ({ ...m, kind: 'phone' as const }));
  return [...strong, ...phones];
}

// Overlap against many spans in O(log n) per query: spans sorted by start, with the running
// maximum of their ends; some span overlaps [s, e) iff one starting before e ends after s.
function overlapTest(spans: readonly TextMatch[]): (span: TextMatch) => boolean {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const maxEnd: number[] = [];
  let running = -1;
  for (const span of sorted) maxEnd.push((running = Math.max(running, span.end)));
  return ({ start, end }) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid]?.start ?? Infinity) < end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && (maxEnd[lo - 1] ?? -1) > start;
  };
}

/**
 * Detects personal data in the given strings. Deterministic and pure.
 *
 * MUST NOT put any detected value into the facts. Throws ZtError `detector-limit` when the input
 * exceeds the scan bounds, TypeError on a malformed argument, and nothing else.
 */
export function detectPii(values: readonly ScannedString[]): PiiFacts {
  assertScanBounds(values);
  const kinds = new Set<PiiKind>();
  const paths: string[] = [];
  let count = 0;
  for (const { path, value } of values) {
    const matches = findPii(value);
    if (matches.length === 0) continue;
    count += matches.length;
    for (const match of matches) kinds.add(match.kind);
    paths.push(redactPath(path, (segment) => findPii(segment).length > 0));
  }
  return { found: count > 0, kinds: [...kinds].sort(), paths: factPaths(paths), count };
}
