// Hidden-instruction scan of an upstream tool definition (tool poisoning, "line jumping"): a fixed,
// documented list of deterministic rules — invisible Unicode, injection phrases, secret files,
// instruction tags. No model and no scoring: a rule matches or it does not. The rule list is
// documented in docs/mcp-gateway.md ("Tool pinning"); keep the two in step.
import { skeleton } from '../detectors/confusable.js';
import type { ToolDefinition } from './tool-digest.js';

/** The rules, by stable id; a flag is `<rule>@<where>`, e.g. `zero-width@description`. */
export type HiddenInstructionRule =
  | 'unicode-tag'
  | 'bidi-control'
  | 'zero-width'
  | 'variation-selector'
  | 'invisible-character'
  | 'whitespace-padding'
  | 'override-instructions'
  | 'role-reassignment'
  | 'conceal-from-user'
  | 'secret-file'
  | 'exfiltration-instruction'
  | 'instruction-tag'
  | 'cross-tool-instruction'
  | 'scan-limit';

/** Most flags a definition carries: past this the list ends with `scan-limit@flags`. */
const MAX_FLAGS = 64;
/** Longest string scanned; a longer one is flagged `scan-limit` (fail closed, not truncated). */
const MAX_TEXT_LENGTH = 64 * 1024;
const MAX_STRINGS = 10_000;
const MAX_DEPTH = 64;
/** Keys whose string values are machine syntax, not prose: only the character rules apply. */
const MACHINE_KEYS = new Set([
  'type',
  'format',
  'pattern',
  '$ref',
  '$schema',
  '$id',
  '$anchor',
  '$dynamicRef',
  '$dynamicAnchor',
  'contentEncoding',
  'contentMediaType',
]);

// ── Character rules (on the raw text) ────────────────────────────────────────────────────────

/** The three RGI subdivision flags (England, Scotland, Wales): the only legitimate tag sequences. */
const RGI_TAG_FLAGS =
  /\u{1F3F4}\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073})\u{E007F}/gu;
const TAG = /[\u{E0000}-\u{E007F}]/u;
const BIDI_EMBEDDING = /[\u202A-\u202E\u2066-\u2069]/u;
const BIDI_MARK = /[\u200E\u200F\u061C]/u;
const JOINER = /[\u200C\u200D]/u;
const ZERO_WIDTH = /[\u200B\u2060\uFEFF\u180E]/u;
const VARIATION = /[\uFE00-\uFE0F\u180B-\u180D\u180F\u{E0100}-\u{E01EF}]/u;
const VARIATION_SUPPLEMENT = /[\u{E0100}-\u{E01EF}]/u;
/** Visible format characters (Unicode Prepended_Concatenation_Mark): Arabic/Syriac number signs. */
const VISIBLE_FORMAT = /[\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}]/u;
/** Format, private-use and default-ignorable characters, and the Braille blank (renders empty). */
const INVISIBLE = /[\p{Cf}\p{Co}\p{Default_Ignorable_Code_Point}\u2800]/u;
/** C0/C1 controls other than tab, line feed and carriage return (ANSI escapes hide terminal text). */
const CONTROL = /[^\P{Cc}\t\n\r]/u;
const RTL_LETTER =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const EMOJI = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const NON_LATIN_LETTER = /^(?![\p{Script=Latin}\p{Script=Common}])[\p{L}\p{M}]$/u;
const IDEOGRAPH = /\p{Ideographic}/u;
/** Ten or more line breaks in a row (blank lines), or 64 horizontal blanks: text pushed off-screen. */
const PADDING = /(?:[ \t\p{Zs}]*(?:\r\n|\r|\n|\u2028|\u2029)){10,}|[ \t\p{Zs}]{64,}/u;

/** Character rules that match `text` (invisible, direction-changing or smuggling characters). */
export function characterRules(text: string): HiddenInstructionRule[] {
  const chars = [...text.replace(RGI_TAG_FLAGS, '\u{1F3F4}')];
  const found = new Set<HiddenInstructionRule>();
  chars.forEach((char, i) => {
    const rule = characterRule(char, chars[i - 1], chars[i + 1]);
    if (rule !== undefined) found.add(rule);
  });
  if (PADDING.test(text)) found.add('whitespace-padding');
  return [...found];
}

function characterRule(
  char: string,
  before: string | undefined,
  after: string | undefined,
): HiddenInstructionRule | undefined {
  if (TAG.test(char)) return 'unicode-tag';
  if (BIDI_EMBEDDING.test(char)) return 'bidi-control';
  if (BIDI_MARK.test(char)) return nextToRtl(before, after) ? undefined : 'bidi-control';
  if (JOINER.test(char)) return legitimateJoiner(char, before, after) ? undefined : 'zero-width';
  if (ZERO_WIDTH.test(char)) return 'zero-width';
  if (VARIATION.test(char))
    return legitimateSelector(char, before) ? undefined : 'variation-selector';
  if (VISIBLE_FORMAT.test(char)) return undefined;
  return INVISIBLE.test(char) || CONTROL.test(char) ? 'invisible-character' : undefined;
}

/** LRM/RLM/ALM next to right-to-left letters: ordinary in mixed Arabic or Hebrew text. */
function nextToRtl(before: string | undefined, after: string | undefined): boolean {
  return RTL_LETTER.test(before ?? '') || RTL_LETTER.test(after ?? '');
}

/**
 * ZWJ inside an emoji sequence (👩 U+200D 💻), or ZWJ/ZWNJ between two letters of a non-Latin script
 * (Persian, Indic conjuncts). Anywhere else a joiner carries no meaning and can only hide things.
 */
function legitimateJoiner(
  char: string,
  before: string | undefined,
  after: string | undefined,
): boolean {
  if (before === undefined || after === undefined) return false;
  if (char === '\u200D' && EMOJI.test(before) && PICTOGRAPH.test(after)) return true;
  return NON_LATIN_LETTER.test(before) && NON_LATIN_LETTER.test(after);
}

/** One selector after a visible character (❤️, 1️⃣); ideographic variation only after a Han ideograph. */
function legitimateSelector(char: string, before: string | undefined): boolean {
  if (before === undefined || VARIATION.test(before) || INVISIBLE.test(before)) return false;
  if (/\s/u.test(before)) return false;
  return VARIATION_SUPPLEMENT.test(char) ? IDEOGRAPH.test(before) : true;
}

// ── Phrase rules (on folded text) ────────────────────────────────────────────────────────────

const VERB_OVERRIDE =
  'ignore|ignoring|disregard|disregarding|forget|forgetting|override|overriding|bypass|bypassing|neglect|abandon|discard|dismiss';
const QUALIFIER =
  'previous|previously|prior|preceding|above|earlier|foregoing|former|original|initial|existing|system|developer|safety';
const DIRECTIVE =
  'instructions?|directions?|directives?|rules?|guidelines?|prompts?|commands?|orders?|constraints?|guardrails?|polic(?:y|ies)|context|messages?|restrictions?';
const AUDIENCE = '(?:the |your |our )?(?:user|human|operator|person|customer)s?';

/**
 * Rules over words: the text folded (NFKC, lower case, look-alikes mapped to ASCII, invisible
 * characters dropped) and every run of anything but letters, digits and apostrophes made one space.
 */
const WORD_RULES: ReadonlyArray<readonly [HiddenInstructionRule, RegExp]> = [
  [
    'override-instructions',
    new RegExp(
      `\\b(?:${VERB_OVERRIDE}) (?:\\S+ ){0,3}?(?:${QUALIFIER}) (?:\\S+ ){0,2}?(?:${DIRECTIVE})\\b`,
    ),
  ],
  [
    'override-instructions',
    new RegExp(
      `\\b(?:${VERB_OVERRIDE}) (?:all|any) (?:of )?(?:the |your |my |these |those )?(?:instructions?|directions?|guidelines?|prompts?)\\b`,
    ),
  ],
  [
    'override-instructions',
    /\b(?:forget|disregard|ignore) (?:about )?(?:everything|anything|all) (?:that )?(?:above|before|previously|prior|so far|earlier|you (?:were|have been|know|learned)|i said|said)\b/,
  ],
  [
    'role-reassignment',
    /\byou are now (?:a|an|the|in|my|no longer|free|unrestricted|jailbroken|acting|operating|dan)\b/,
  ],
  [
    'role-reassignment',
    /\bfrom now on (?:you|always|never|ignore|only|respond|reply|answer|act)\b/,
  ],
  [
    'role-reassignment',
    /\byour (?:new|real|true|actual|only|primary) (?:task|role|instructions?|goal|objective|purpose|directive|job|mission)s? (?:is|are|will be)\b/,
  ],
  [
    'role-reassignment',
    /\b(?:system override|(?:enter|enable|activate) (?:dan|jailbreak|god) mode)\b/,
  ],
  [
    'conceal-from-user',
    new RegExp(
      `\\b(?:do not|don't|dont|never|must not|should not|shouldn't|avoid|without) (?:\\S+ ){0,2}?(?:tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|warn|warning) (?:\\S+ ){0,4}?${AUDIENCE}\\b`,
    ),
  ],
  [
    'conceal-from-user',
    new RegExp(
      `\\b(?:hide|hiding|conceal|concealing|keep|keeping) (?:\\S+ ){0,4}?(?:from|secret from|hidden from) ${AUDIENCE}\\b`,
    ),
  ],
  [
    'conceal-from-user',
    /\b(?:the )?user (?:must |should |shall |does |do |will |can )?(?:not|never) (?:know|see|notice|find out|learn|be told|be informed|be aware)\b/,
  ],
  [
    'conceal-from-user',
    /\bwithout (?:the )?(?:user|user's|users) (?:knowledge|knowing|noticing|awareness)\b/,
  ],
  [
    'conceal-from-user',
    /\b(?:secretly|covertly|silently) (?:\S+ ){0,3}?(?:send|upload|forward|copy|read|collect|pass|exfiltrate|post|append|email|transmit)\b/,
  ],
  [
    'exfiltration-instruction',
    /\b(?:send|sending|pass|passing|upload|uploading|leak|leaking|exfiltrate|forward|post|append|attach|embed|copy|email|transmit)\b (?:\S+ ){0,6}?(?:private keys?|ssh keys?|secret keys?|api keys|access tokens|session tokens|auth tokens|credentials|passwords|secrets|cookies|environment variables|env vars|seed phrase|mnemonic)\b/,
  ],
  [
    'exfiltration-instruction',
    /\b(?:pass|send|include|append|embed|attach) (?:its|their|this|that|this file's|the file's) (?:\S+ )?(?:content|contents) (?:as|in|into|inside|via|through)\b/,
  ],
  [
    'cross-tool-instruction',
    /\b(?:the|any|all|every|other) (?:\S+ ){0,4}?tools? (?:must|should|shall|has to|needs to|is required to) (?:always |also |instead )?(?:send|forward|redirect|bcc|cc|copy|include|add|use)\b/,
  ],
];

/** Rules over the folded text with its punctuation kept (paths, tags, chat-template tokens). */
const TEXT_RULES: ReadonlyArray<readonly [HiddenInstructionRule, RegExp]> = [
  [
    'secret-file',
    /(?:^|[^a-z0-9])\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\bauthorized_keys\b|(?:^|[\s'"`(/[{=:,])\.env(?:\.[a-z0-9_-]+)?\b/,
  ],
  [
    'secret-file',
    /\.aws\/credentials|\.netrc\b|\.npmrc\b|\.pypirc\b|\.pgpass\b|\.git-credentials\b|\.docker\/config\.json|\.kube\/config|\/etc\/(?:shadow|passwd|sudoers)\b|\.gnupg\b|\.(?:bash|zsh)_history\b/,
  ],
  [
    'secret-file',
    /\bmcp\.json\b|\bclaude_desktop_config\.json\b|\.cursor\/|application_default_credentials\.json/,
  ],
  [
    'instruction-tag',
    /<\s*\/?\s*(?:important|system|system[-_ ]prompt|instructions?|secret|hidden|admin|critical|urgent|override|sys)\b[^>]{0,200}>/,
  ],
  [
    'instruction-tag',
    /<\|\s*(?:im_start|im_end|system|endoftext|eot_id|start_header_id|end_header_id)\s*\|>|\[\/?inst\]|<<\/?sys>>|\[system\]/,
  ],
  ['instruction-tag', /<!--/],
];

/** Folds text for the phrase rules: look-alike skeleton (UTS #39 subset) or plain NFKC lower case. */
function foldings(text: string): string[] {
  const plain = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '');
  const look = skeleton(text);
  return plain === look ? [plain] : [plain, look];
}

function words(text: string): string {
  const apostrophes = text.replace(/[’‘]/gu, "'").replace(/(?<!\p{L})'|'(?!\p{L})/gu, ' ');
  return ` ${apostrophes.replace(/[^\p{L}\p{N}']+/gu, ' ').trim()} `;
}

/** Phrase rules that match `text` (prose: descriptions, titles, examples). */
export function phraseRules(text: string): HiddenInstructionRule[] {
  const found = new Set<HiddenInstructionRule>();
  for (const folded of foldings(text)) {
    const spaced = folded.replace(/\s+/g, ' ');
    for (const [rule, pattern] of TEXT_RULES) if (pattern.test(spaced)) found.add(rule);
    const plainWords = words(folded);
    for (const [rule, pattern] of WORD_RULES) if (pattern.test(plainWords)) found.add(rule);
  }
  return [...found];
}

// ── Walking a definition ─────────────────────────────────────────────────────────────────────

interface Scan {
  readonly flags: Set<string>;
  strings: number;
}

/**
 * Every hidden-instruction flag of a tool definition, as sorted `<rule>@<where>` strings. Character
 * rules apply to every string (names, keys and values); phrase rules to prose values. MUST flag
 * (`scan-limit`) rather than skip anything it cannot scan within its bounds.
 */
export function hiddenInstructionFlags(definition: ToolDefinition): string[] {
  const scan: Scan = { flags: new Set(), strings: 0 };
  scanString(scan, definition.name, 'name', false);
  if (definition.title !== undefined) scanString(scan, definition.title, 'title', true);
  if (definition.description !== undefined)
    scanString(scan, definition.description, 'description', true);
  if (definition.inputSchema !== undefined)
    walk(scan, definition.inputSchema, 'inputSchema', 1, true);
  if (definition.outputSchema !== undefined)
    walk(scan, definition.outputSchema, 'outputSchema', 1, true);
  if (definition.annotations !== undefined)
    walk(scan, definition.annotations, 'annotations', 1, true);
  const flags = [...scan.flags].sort();
  return flags.length <= MAX_FLAGS ? flags : [...flags.slice(0, MAX_FLAGS - 1), 'scan-limit@flags'];
}

function walk(scan: Scan, value: unknown, at: string, depth: number, prose: boolean): void {
  if (depth > MAX_DEPTH) return flag(scan, 'scan-limit', at);
  if (typeof value === 'string') return scanString(scan, value, at, prose);
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(scan, item, `${at}[${i}]`, depth + 1, prose));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    const where = `${at}.${printable(key)}`;
    scanString(scan, key, `${where}#key`, false);
    walk(scan, item, where, depth + 1, !MACHINE_KEYS.has(key));
  }
}

function scanString(scan: Scan, text: string, at: string, prose: boolean): void {
  scan.strings += 1;
  if (scan.strings > MAX_STRINGS) return flag(scan, 'scan-limit', 'strings');
  if (text.length > MAX_TEXT_LENGTH) return flag(scan, 'scan-limit', at);
  for (const rule of characterRules(text)) flag(scan, rule, at);
  if (prose) for (const rule of phraseRules(text)) flag(scan, rule, at);
}

function flag(scan: Scan, rule: HiddenInstructionRule, at: string): void {
  scan.flags.add(`${rule}@${at}`);
}

/**
 * `text` for a terminal: every invisible, format or control character (bidi controls, tags, ANSI
 * escapes…) written as `\u{hex}`; spaces, tabs and line feeds stay.
 */
export function escapeInvisible(text: string): string {
  return [...text]
    .map((c) =>
      INVISIBLE.test(c) || CONTROL.test(c) || /[\p{Zl}\p{Zp}]/u.test(c) ? escaped(c) : c,
    )
    .join('');
}

/** A key as it may appear in a flag: invisible characters and `@` escaped, at most 64 characters. */
export function printable(text: string): string {
  const safe = [...text].map((c) => (visible(c) && c !== '@' ? c : escaped(c))).join('');
  return safe.length <= 64 ? safe : `${safe.slice(0, 61)}...`;
}

function visible(char: string): boolean {
  return /[\p{L}\p{N}\p{M}\p{P}\p{S}]/u.test(char) && !INVISIBLE.test(char);
}

function escaped(char: string): string {
  return `\\u{${char.codePointAt(0)?.toString(16) ?? ''}}`;
}
