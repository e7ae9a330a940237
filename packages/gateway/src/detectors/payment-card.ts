// Payment card numbers (PANs) per ISO/IEC 7812-1: 13–19 digits, a major industry identifier of a
// card network and a valid Luhn check digit; a Luhn-failing number is not a card.
import { luhnValid } from './luhn.js';
import type { TextMatch } from './text-match.js';

// 13–19 digits, single spaces or dashes allowed between digits, not inside a longer digit run.
const CANDIDATE = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

/**
 * True for a 13–19 digit PAN whose major industry identifier (first digit) is 2–6 — the ranges
 * card networks use (2: Mastercard 2-series; 3: Amex, Diners, JCB; 4: Visa; 5: Mastercard,
 * Maestro; 6: Discover, UnionPay, Maestro) — and whose Luhn check digit is correct.
 */
export function isCardNumber(digits: string): boolean {
  if (!/^[2-6][0-9]{12,18}$/.test(digits)) return false;
  return luhnValid(digits);
}

/** Every card number in `text`, normalized to its digits. */
export function findCardNumbers(text: string): TextMatch[] {
  const found: TextMatch[] = [];
  const candidate = new RegExp(CANDIDATE.source, 'g');
  for (let match = candidate.exec(text); match !== null; match = candidate.exec(text)) {
    const start = match.index;
    const raw = longestCard(match[0]);
    if (raw !== undefined) {
      found.push({ value: raw.replace(/[ -]/g, ''), start, end: start + raw.length });
      candidate.lastIndex = start + raw.length;
    } else {
      // The run may have started with unrelated digits ("ref 12 4111 …"); retry further on.
      candidate.lastIndex = start + 1;
    }
  }
  return found;
}

// The longest prefix of a digit run, cut at a separator, that is a card number: a run can go on
// with unrelated digits ("4111 1111 1111 1111 12/30"). At most 7 prefixes (13–19 digits) are
// checked, so hostile digit runs stay linear.
function longestCard(raw: string): string | undefined {
  const first = raw.charCodeAt(0);
  if (first < 50 || first > 54) return undefined; // major industry identifier 2–6
  // Cut points (before each separator, and the end) with the digits before them and whether
  // both separator styles occur up to there.
  const cuts: { end: number; digits: string; mixed: boolean }[] = [];
  let digits = '';
  let space = false;
  let dash = false;
  for (let i = 0; i < raw.length; i++) {
    const char = raw.charAt(i);
    if (char === ' ' || char === '-') {
      cuts.push({ end: i, digits, mixed: space && dash });
      if (char === ' ') space = true;
      else dash = true;
    } else {
      digits += char;
    }
  }
  cuts.push({ end: raw.length, digits, mixed: space && dash });
  for (let k = cuts.length - 1; k >= 0; k--) {
    const cut = cuts[k];
    if (cut === undefined || cut.digits.length < 13) break;
    // One separator style per number ("4111 1111 …" or "4111-1111-…"), as printed on cards.
    if (!cut.mixed && luhnValid(cut.digits)) return raw.slice(0, cut.end);
  }
  return undefined;
}
