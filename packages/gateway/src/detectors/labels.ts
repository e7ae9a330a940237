// Data labels that flow with values (DESIGN §2 step 4/7): a call whose arguments contain a value
// (≥ 8 characters, or a card, IBAN, e-mail or phone number) from a labelled result carries its label.
import { ZtError } from '../errors.js';
import { assertScanBounds, collectStrings, type ScannedString } from './collect-strings.js';
import { factPaths, redactPath } from './redact-path.js';
import {
  MIN_VALUE_CHARS,
  normalizeValueText,
  piiValuesOf,
  trimToWord,
  valuesOf,
} from './taint-values.js';

/**
 * Facts of {@link SessionTaint.labelsFor}. They never contain the matched values.
 * - `labels`: sorted unique labels flowing into the arguments;
 * - `matches`: number of distinct (argument path, remembered value) matches;
 * - `paths`: sorted unique argument paths that carry labelled data (at most 64; a segment that is
 *   itself a remembered value is shown as `*`).
 */
export type LabelFacts = {
  readonly labels: readonly string[];
  readonly matches: number;
  readonly paths: readonly string[];
};

/** Bounds of one session's taint memory. */
export type SessionTaintOptions = {
  /** Most values remembered; the least recently recorded are evicted first. Default 10,000. */
  readonly maxValues?: number;
  /** Largest labelled result accepted by `record`, in UTF-16 code units. Default 4 MiB. */
  readonly maxResultChars?: number;
};

/** Default number of values one session remembers. */
export const DEFAULT_MAX_TAINT_VALUES = 10_000;
/** Default size limit of one recorded result. */
export const DEFAULT_MAX_RESULT_CHARS = 4 * 1024 * 1024;
// Upper bound of substring probes in one labelsFor call (positions × distinct value lengths that
// share a prefix); only adversarial memory contents reach it.
const MAX_PROBES = 1_000_000;

/**
 * The values a session has received in labelled tool results, and the labels they carry.
 * A pure in-memory data structure: deterministic, no I/O, no clock.
 *
 * Memory is bounded: at most `maxValues` values of at most 256 characters each. When full, the
 * value recorded (or re-recorded) longest ago is evicted, and `evictions` counts how often; a
 * policy that must not lose taint can treat `sessionLabels()` (never evicted) as the call's
 * labels once `evictions > 0`.
 */
export class SessionTaint {
  readonly #maxValues: number;
  readonly #maxResultChars: number;
  // Insertion order is recency order: re-recording a value moves it to the end.
  readonly #values = new Map<string, Set<string>>();
  // First 8 characters → (value length → number of values), to probe substrings in O(1) each.
  readonly #prefixes = new Map<string, Map<number, number>>();
  readonly #labels = new Set<string>();
  #evictions = 0;

  constructor(options: SessionTaintOptions = {}) {
    this.#maxValues = positiveInt(options.maxValues ?? DEFAULT_MAX_TAINT_VALUES, 'maxValues');
    this.#maxResultChars = positiveInt(
      options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
      'maxResultChars',
    );
  }

  /** How many values are remembered now. */
  get size(): number {
    return this.#values.size;
  }

  /** How many values were evicted to stay within `maxValues`. */
  get evictions(): number {
    return this.#evictions;
  }

  /**
   * Remembers the values of a tool result under its labels. `content` is text, or JSON-shaped
   * data whose string (and number) leaves are taken; object keys are not values. A result without
   * labels changes nothing.
   *
   * Throws ZtError `detector-limit` when the result is larger than `maxResultChars` or nests
   * deeper than collectStrings allows, and TypeError when `labels` is not an array of strings.
   * Returns the values taken, at most `maxValues` (the latest), for sharing with `adopt`.
   */
  record(result: { readonly labels: readonly string[]; readonly content: unknown }): string[] {
    const labels = checkLabels(result.labels);
    if (labels.length === 0) return [];
    for (const label of labels) this.#labels.add(label);
    const taken = new Set<string>();
    for (const leaf of this.#leaves(result.content)) {
      for (const value of valuesOf(leaf)) {
        this.#remember(value, labels);
        taken.delete(value);
        taken.add(value);
      }
    }
    return [...taken].slice(-this.#maxValues);
  }

  /**
   * What this agent received at another enforcement point sharing the store: `labels` join
   * `sessionLabels()`, and `values` (as `record` returned them there) are remembered under them.
   */
  adopt(labels: readonly string[], values: readonly string[] = []): void {
    const checked = checkLabels(labels);
    for (const label of checked) this.#labels.add(label);
    if (checked.length === 0) return;
    for (const value of values) {
      if (typeof value !== 'string') throw new TypeError('values must be strings');
      this.#remember(value, checked);
    }
  }

  /**
   * The labels flowing into a call with these argument strings. An argument carries a label when
   * - a card, IBAN, e-mail or phone number in it equals a remembered one after normalization
   *   (IBAN/card without separators, e-mail in lower case), or
   * - a remembered value of 8+ characters occurs anywhere in it (exactly, or inside a longer
   *   string), after NFC and whitespace normalization; other comparisons are case-sensitive.
   *
   * Runs in time linear in the argument size (times the number of distinct remembered lengths
   * that share an 8-character prefix). Throws ZtError `detector-limit` beyond the scan bounds.
   */
  labelsFor(values: readonly ScannedString[]): LabelFacts {
    assertScanBounds(values);
    const labels = new Set<string>();
    const paths: string[] = [];
    let matches = 0;
    let probes = 0;
    for (const { path, value } of values) {
      const found = new Set<string>();
      for (const pii of piiValuesOf(value)) if (this.#values.has(pii)) found.add(pii);
      const text = normalizeValueText(value);
      for (let start = 0; start + MIN_VALUE_CHARS <= text.length; start++) {
        const lengths = this.#prefixes.get(text.slice(start, start + MIN_VALUE_CHARS));
        if (lengths === undefined) continue;
        probes += lengths.size;
        if (probes > MAX_PROBES) throw new ZtError('detector-limit', 'taint scan over its budget');
        for (const length of lengths.keys()) {
          const candidate = text.slice(start, start + length);
          if (candidate.length === length && this.#values.has(candidate)) found.add(candidate);
        }
      }
      if (found.size === 0) continue;
      matches += found.size;
      for (const match of found)
        for (const label of this.#values.get(match) ?? []) labels.add(label);
      paths.push(redactPath(path, (segment) => this.#values.has(trimToWord(segment))));
    }
    return { labels: [...labels].sort(), matches, paths: factPaths(paths) };
  }

  /** Every label this session has received, sorted; never forgets, unlike the value memory. */
  sessionLabels(): string[] {
    return [...this.#labels].sort();
  }

  #leaves(content: unknown): string[] {
    if (typeof content === 'string') {
      if (content.length > this.#maxResultChars) {
        throw new ZtError('detector-limit', 'result exceeds the taint size limit');
      }
      return [content];
    }
    const limits = {
      maxTotalChars: this.#maxResultChars,
      maxStrings: 1_000_000,
      maxNodes: 2_000_000,
    };
    return collectStrings(content, limits)
      .filter(({ path }) => !path.endsWith('#key'))
      .map(({ value }) => value);
  }

  #remember(value: string, labels: readonly string[]): void {
    const existing = this.#values.get(value);
    if (existing !== undefined) {
      this.#values.delete(value);
      this.#values.set(value, existing);
      for (const label of labels) existing.add(label);
      return;
    }
    this.#values.set(value, new Set(labels));
    this.#indexPrefix(value, +1);
    while (this.#values.size > this.#maxValues) {
      const oldest = this.#values.keys().next();
      if (oldest.done === true) break;
      this.#values.delete(oldest.value);
      this.#indexPrefix(oldest.value, -1);
      this.#evictions++;
    }
  }

  #indexPrefix(value: string, delta: 1 | -1): void {
    if (value.length < MIN_VALUE_CHARS) return;
    const prefix = value.slice(0, MIN_VALUE_CHARS);
    const lengths = this.#prefixes.get(prefix) ?? new Map<number, number>();
    const count = (lengths.get(value.length) ?? 0) + delta;
    if (count > 0) lengths.set(value.length, count);
    else lengths.delete(value.length);
    if (lengths.size > 0) this.#prefixes.set(prefix, lengths);
    else this.#prefixes.delete(prefix);
  }
}

function checkLabels(labels: unknown): readonly string[] {
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
    throw new TypeError('labels must be an array of strings');
  }
  return labels as readonly string[];
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive safe integer`);
  }
  return value;
}
