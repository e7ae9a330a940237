// Look-alike detection for host labels and tool names: a small subset of Unicode UTS #39 (mixed-script, whole-script and skeleton checks), deliberately conservative.

/**
 * Characters that render like ASCII, mapped to the ASCII they imitate (a hand-picked subset of
 * the UTS #39 confusables table: Cyrillic, Greek, Armenian and Latin-extended look-alikes, plus the
 * ASCII pairs 0/o and 1/l). Applied after NFKC and lower-casing, which already fold full-width and
 * mathematical letters.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  ь: 'b',
  с: 'c',
  ԁ: 'd',
  е: 'e',
  ё: 'e',
  һ: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  п: 'n',
  о: 'o',
  р: 'p',
  ԛ: 'q',
  г: 'r',
  ѕ: 's',
  т: 't',
  у: 'y',
  ѵ: 'v',
  ԝ: 'w',
  х: 'x',
  // Greek
  α: 'a',
  β: 'b',
  ϲ: 'c',
  ε: 'e',
  η: 'n',
  ι: 'i',
  ϳ: 'j',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  // Armenian
  հ: 'h',
  ո: 'n',
  օ: 'o',
  ս: 'u',
  ց: 'g',
  զ: 'q',
  // Latin extended and IPA
  ı: 'i',
  ɩ: 'i',
  ȷ: 'j',
  ɑ: 'a',
  ɡ: 'g',
  ʏ: 'y',
  ƅ: 'b',
  // ASCII pairs
  '0': 'o',
  '1': 'l',
  // Dashes
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
};

/** Invisible or direction-changing characters: never legitimate inside a host or tool name. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

// Scripts that occur in host names; anything else counts as one "Other" script.
const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Bopomofo', /\p{Script=Bopomofo}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
];
const COMMON = /[\p{Script=Common}\p{Script=Inherited}]/u;

// UTS #39 "highly restrictive": one script, or Latin with the Han-based CJK combinations.
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptOf(char: string): string | undefined {
  if (COMMON.test(char)) return undefined;
  for (const [name, pattern] of SCRIPTS) if (pattern.test(char)) return name;
  return 'Other';
}

/** True when `s` contains a zero-width, default-ignorable or bidi-control character. */
export function hasInvisible(s: string): boolean {
  return INVISIBLE.test(s);
}

/** True when `s` mixes scripts beyond what UTS #39 "highly restrictive" permits. */
export function isMixedScript(s: string): boolean {
  const scripts = new Set<string>();
  for (const char of s) {
    const script = scriptOf(char);
    if (script !== undefined) scripts.add(script);
  }
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((mix) => [...scripts].every((script) => mix.has(script)));
}

/**
 * The look-alike skeleton: NFKC, lower case, invisible characters removed, look-alikes mapped to
 * ASCII, and the multi-letter imitations `rn` → `m`, `vv` → `w`. Two strings with equal skeletons
 * look alike.
 */
export function skeleton(s: string): string {
  let out = '';
  for (const char of s.normalize('NFKC').toLowerCase()) {
    if (INVISIBLE.test(char)) continue;
    out += LOOK_ALIKES[char] ?? char;
  }
  return out.replaceAll('rn', 'm').replaceAll('vv', 'w');
}

// The characters that are near-identical to a lower-case ASCII letter in common fonts; looser
// imitations in LOOK_ALIKES (Cyrillic к, м, т…) only count when compared with a known name.
const STRONG_LOOK_ALIKES = new Set([...'асԁеһіјӏорԛѕуԝхѵοιϲϳνρօոսհզցıɩɑɡ']);

/**
 * A non-ASCII string whose every non-ASCII character is a near-identical imitation of an ASCII
 * letter, such as Cyrillic "аррӏе" (UTS #39 whole-script confusable with Latin).
 */
export function isWholeScriptConfusable(s: string): boolean {
  let nonAscii = false;
  for (const char of s.normalize('NFKC').toLowerCase()) {
    if (char.charCodeAt(0) < 0x80) continue;
    nonAscii = true;
    if (!STRONG_LOOK_ALIKES.has(char)) return false;
  }
  return nonAscii;
}

/** True when `s` looks like something it is not: invisible characters, mixed or whole-script confusable. */
export function looksDeceptive(s: string): boolean {
  return hasInvisible(s) || isMixedScript(s) || isWholeScriptConfusable(s);
}
