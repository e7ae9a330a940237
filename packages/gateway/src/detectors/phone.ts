// Telephone numbers: international numbers per ITU-T E.164 (+, country code, at most 15 digits)
// and the common national formats (NANP and trunk-prefix 0), by shape only — no numbering plan.
import type { TextMatch } from './text-match.js';

// A run of digits and the separators people write, starting at "+", "(" or a digit that is not
// inside a word, a longer number or a decimal; bounded, so scanning stays linear.
const CANDIDATE = /(?<![\w+.,/-])[+(]?[0-9][0-9 ()./-]{5,24}[0-9](?![\w])/g;
const E164_DIGITS = { min: 7, max: 15 };

// North American Numbering Plan: NXX NXX XXXX with the area code optionally in parentheses and
// a separator before the line number, optionally after a leading "1 ".
const NANP = /^(?:1[ .-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}$/;
// Trunk prefix 0 (most of Europe, Asia, Africa): "030 1234567", "020 7946 0958", "(030) 12345".
const TRUNK = /^(?:\(0[1-9][0-9]{0,4}\) ?|0[1-9][0-9]{0,4}[ /-])[0-9]{2,8}(?:[ -][0-9]{2,8}){0,3}$/;
// The French style "06 12 34 56 78" / "06.12.34.56.78".
const TRUNK_PAIRS = /^0[1-9](?:([ .])[0-9]{2})(?:\1[0-9]{2}){3}$/;
/**
 * Every telephone number in `text`, normalized to "+" and digits when international, else to
 * its digits.
 *
 * Recognized: E.164 numbers written with "+" or "00" (7–15 digits after the prefix, groups
 * separated by single spaces, dots or dashes, an optional "(0)"); NANP numbers such as
 * "(415) 555-2671" or "415-555-2671"; trunk-prefix national numbers such as "030 1234567",
 * "020 7946 0958" or "06 12 34 56 78" (9–12 digits with at least one separator).
 * Limits: no per-country numbering-plan validation, so an unassigned number of the right shape
 * counts; national numbers written as one run of digits ("0301234567") are not recognized, nor
 * are extensions, vanity letters or two numbers written back to back.
 */
export function findPhoneNumbers(text: string): TextMatch[] {
  const found: TextMatch[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const value = normalizePhone(match[0]);
    if (value !== undefined) {
      found.push({ value, start: match.index, end: match.index + match[0].length });
    }
  }
  return found;
}

/** The normalized number when `raw` has one of the recognized shapes, else undefined. */
export function normalizePhone(raw: string): string | undefined {
  if (!wellFormed(raw)) return undefined;
  if (raw.startsWith('+') || raw.startsWith('00')) {
    // "(0)" is the national trunk prefix some countries print after the code; E.164 omits it.
    const subscriber = raw
      .replace('(0)', '')
      .replace(/[^0-9]/g, '')
      .slice(raw.startsWith('+') ? 0 : 2);
    const ok = /^[1-9]/.test(subscriber) && subscriber.length >= E164_DIGITS.min;
    return ok && subscriber.length <= E164_DIGITS.max ? `+${subscriber}` : undefined;
  }
  const digits = raw.replace(/[^0-9]/g, '');
  if (NANP.test(raw)) return digits.length === 11 ? digits.slice(1) : digits;
  if ((TRUNK.test(raw) || TRUNK_PAIRS.test(raw)) && digits.length >= 9 && digits.length <= 12) {
    return digits;
  }
  return undefined;
}

// Single separators only, parentheses balanced, not nested and holding digits only.
function wellFormed(raw: string): boolean {
  if (/[ ./-]{2}/.test(raw.replace(/\) /g, ')'))) return false;
  let open = false;
  for (const char of raw) {
    if (char === '(') {
      if (open) return false;
      open = true;
    } else if (char === ')') {
      if (!open) return false;
      open = false;
    } else if (open && (char < '0' || char > '9')) {
      return false;
    }
  }
  return !open && !raw.includes('()');
}
