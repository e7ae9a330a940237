// What counts as a "value" for session taint: normalized text spans of at least 8 characters that
// look like data rather than prose, plus recognized personal data (cards, IBANs, e-mail, phones).
import { findPii } from './pii.js';

/** Shortest free-text value remembered or matched by containment. */
export const MIN_VALUE_CHARS = 8;
/** Longest value remembered; longer leaves contribute their tokens only. */
export const MAX_VALUE_CHARS = 256;

const WHITESPACE = /\s+/g;
// Punctuation that separates values in prose; `.-_/@:+=#` stay inside (hosts, ids, paths).
const COARSE_SEPARATORS = /[\s,;!?"'`()[\]{}<>|]+/;
const WORD = /[\p{L}\p{N}]+/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/** NFC, whitespace runs collapsed to one space, trimmed: both sides of a match are compared so. */
export function normalizeValueText(text: string): string {
  return text.normalize('NFC').replace(WHITESPACE, ' ').trim();
}

/**
 * The values a labelled result leaf contributes, each normalized:
 * - the whole leaf, without leading and trailing punctuation, when 8–256 characters long;
 * - its tokens (split on whitespace and prose punctuation, and again into letter/digit runs) of
 *   8–256 characters that look like data: containing a digit, an inner symbol or an inner
 *   capital. Plain words ("information", "Quarterly") are not values: they would taint every
 *   later call that uses the same word;
 * - every card, IBAN, e-mail and phone number in it, of any length, in pii.ts normal form.
 */
export function valuesOf(leaf: string): Set<string> {
  const out = new Set<string>();
  const text = normalizeValueText(leaf);
  if (text.length <= 2 * MAX_VALUE_CHARS) addIfLong(out, trimToWord(text));
  for (const coarse of text.split(COARSE_SEPARATORS)) {
    const token = trimToWord(coarse);
    if (looksLikeData(token)) addIfLong(out, token);
    if (token.length > MIN_VALUE_CHARS) {
      for (const [fine] of token.matchAll(WORD)) if (looksLikeData(fine)) addIfLong(out, fine);
    }
  }
  for (const match of findPii(leaf)) out.add(match.value);
  return out;
}

/** The normalized personal-data values of an argument string (matched exactly, any length). */
export function piiValuesOf(text: string): string[] {
  return findPii(text).map((match) => match.value);
}

/** `text` without leading and trailing characters that are neither letters nor digits. */
export function trimToWord(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && !WORD_CHAR.test(text.charAt(start))) start++;
  while (end > start && !WORD_CHAR.test(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

function addIfLong(out: Set<string>, value: string): void {
  if (value.length >= MIN_VALUE_CHARS && value.length <= MAX_VALUE_CHARS) out.add(value);
}

function looksLikeData(token: string): boolean {
  return /[0-9]/.test(token) || /[^\p{L}\p{N}]/u.test(token) || /.\p{Lu}/u.test(token);
}
