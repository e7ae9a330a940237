// Credentials in tool arguments ("secrets leaving", DESIGN §6): known provider key formats,
// private keys, JWTs, credential assignments and long high-entropy tokens.
import { Buffer } from 'node:buffer';
import { assertScanBounds, type ScannedString } from './collect-strings.js';
import { shannonEntropy } from './entropy.js';
import { factPaths, redactPath } from './redact-path.js';

export { collectStrings } from './collect-strings.js';
export type { CollectLimits, ScannedString } from './collect-strings.js';

/** The kinds of secret detected. */
export type SecretKind =
  | 'anthropic-key'
  | 'authorization-header'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'credential-assignment'
  | 'github-token'
  | 'gitlab-token'
  | 'google-api-key'
  | 'high-entropy'
  | 'jwt'
  | 'openai-key'
  | 'private-key'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-key'
  | 'url-credentials';

/**
 * Facts of {@link detectSecrets}. They never contain the secret itself.
 * - `found`: any secret at all;
 * - `kinds`: sorted unique kinds;
 * - `paths`: sorted unique argument paths holding one (at most 64; a path segment that is itself
 *   a secret is shown as `*`);
 * - `count`: number of findings over all strings.
 */
export type SecretFacts = {
  readonly found: boolean;
  readonly kinds: readonly SecretKind[];
  readonly paths: readonly string[];
  readonly count: number;
};

/**
 * Thresholds of the entropy rule. A token is a maximal run of base64/base64url characters; it is
 * reported as `high-entropy` when all of these hold:
 * - its length (without `=` padding) is between `minLength` and `maxLength` — longer runs are
 *   encoded data (images, files), not keys;
 * - it has letters and digits, and upper and lower case unless it is at least `minLength`+12 long
 *   (keeps camelCase identifiers, words and plain numbers out);
 * - it is not hexadecimal-only: UUIDs, git SHAs and SHA-1/SHA-256/MD5 digests are identifiers, and
 *   hex has at most 4 bits per character, so a hex key cannot be told from a digest by entropy
 *   (hex secrets are still caught by assignment and field-name rules);
 * - its Shannon entropy is at least `bitsPerChar` (random base62 of 20+ characters scores ≈ 3.6–5);
 * - at least `minTransitionRatio` of its adjacent character pairs switch between letter and digit
 *   or from lower to upper case (random base62 ≈ 0.45; identifiers such as
 *   `getUserById2024Version` or `node_modules/lib2023` stay below 0.2 — entropy alone does not
 *   separate them, they also score ≈ 4).
 * Measured on 2,000 random tokens per length: about 3.5% of 20-character, 1.5% of 24-character and
 * under 0.5% of 32+-character base62/base64url tokens are missed; lower-case-and-digit (base36)
 * tokens are reported from 32 characters on (about 4% missed at 32, under 1% at 40).
 */
export const ENTROPY_RULE = {
  minLength: 20,
  maxLength: 256,
  bitsPerChar: 3.5,
  minTransitionRatio: 0.2,
} as const;

type Finding = { readonly kind: SecretKind; readonly start: number; readonly end: number };

// Provider formats, most specific first. Every quantifier is bounded and every pattern starts at
// a token edge (lookbehind), so a scan is linear in the input.
const PROVIDER_PATTERNS: readonly { kind: SecretKind; pattern: RegExp }[] = [
  {
    kind: 'private-key',
    // The header, then the armoured body and END line when present (claimed, so the body is not
    // reported again as high-entropy).
    pattern:
      /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----[\w\s+/=:,.()]{0,16384}(?:-----END [A-Z0-9 ]{1,40}-----)?/g,
  },
  {
    kind: 'aws-access-key-id',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    kind: 'github-token',
    pattern:
      /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g,
  },
  { kind: 'gitlab-token', pattern: /(?<![\w-])glpat-[\w-]{20,250}(?![\w-])/g },
  { kind: 'slack-token', pattern: /(?<![\w-])xox[abprs]-[A-Za-z0-9-]{10,250}(?![\w-])/g },
  {
    kind: 'slack-webhook',
    pattern:
      /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{16,32}/g,
  },
  { kind: 'stripe-key', pattern: /(?<![\w-])[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}(?![\w-])/g },
  { kind: 'anthropic-key', pattern: /(?<![\w-])sk-ant-[\w-]{32,250}(?![\w-])/g },
  {
    kind: 'openai-key',
    pattern: /(?<![\w-])sk-(?:(?:proj|svcacct|admin)-[\w-]{20,250}|[A-Za-z0-9]{32,250})(?![\w-])/g,
  },
  { kind: 'google-api-key', pattern: /(?<![\w-])AIza[\w-]{35}(?![\w-])/g },
  {
    kind: 'jwt',
    pattern: /(?<![\w-])eyJ[\w-]{5,2048}\.eyJ[\w-]{2,16384}\.[\w-]{0,2048}(?![\w.-])/g,
  },
  {
    kind: 'url-credentials',
    pattern: /(?<![\w+.-])[A-Za-z][\w+.-]{1,20}:\/\/[^\s/:@]{1,128}:[^\s/@]{1,256}@/g,
  },
  {
    kind: 'authorization-header',
    pattern: /(?<![\w-])(?:[Bb]earer|[Bb]asic)\s{1,4}[\w~+/.-]{16,4096}=*(?![\w~+/.=-])/g,
  },
];

// Names under which a credential is assigned in text (`password=…`, `"api_key": "…"`).
const SECRET_NAME =
  '(?:[A-Za-z0-9]{1,20}[_.-])?(?:secret[_-]?access[_-]?key|client[_-]?secret|api[_-]?(?:key|secret|token)|' +
  'access[_-]?token|auth[_-]?token|refresh[_-]?token|session[_-]?token|private[_-]?key|' +
  'password|passwd|passphrase|pwd|secret)';
const ASSIGNMENT = new RegExp(
  `(?<![A-Za-z0-9])(${SECRET_NAME})["']?\\s{0,4}[:=]\\s{0,4}["']?([^\\s"'&;,<>]{6,512})`,
  'gi',
);
// Object keys (last path segment) whose value is a credential, compared without case and `_-`.
const SECRET_FIELD =
  /(?:password|passwd|passphrase|secret|secretkey|apikey|apitoken|accesstoken|authtoken|refreshtoken|sessiontoken|privatekey|bearertoken|^token|^authorization)$/;
const AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
// Literals that every provider pattern above contains, and that every assignment contains: a value
// without them skips those rules (most arguments), which keeps the scan cheap on the decision path.
const PROVIDER_HINT =
  /PRIVATE KEY|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|k_(?:live|test)_|sk-|AIza|eyJ|hooks\.slack\.com|:\/\/[^\s/]{0,400}@|[Bb]earer|[Bb]asic/;
const ASSIGNMENT_HINT = /(?:secret|key|token|password|passwd|passphrase|pwd)["']?\s{0,4}[:=]/i;
const ENTROPY_TOKEN = /[A-Za-z0-9+/_-]{20,}={0,2}/g;

/**
 * Detects credentials in the given strings. Deterministic and pure.
 *
 * Rules, in order (a span claimed by an earlier rule is not reported again): provider formats
 * (AWS key ids, GitHub, GitLab, Slack, Stripe, Anthropic, OpenAI, Google keys, PEM private key
 * headers, JWTs whose header decodes to JSON with `alg`, URL user:password, Authorization
 * Bearer/Basic values); AWS secret access keys (40 base64 characters in a call that also carries
 * an AWS key id, or under an AWS secret name); credential assignments in text and credential-named
 * fields (placeholders such as `${VAR}`, `<…>`, `****` excluded); the entropy rule
 * ({@link ENTROPY_RULE}).
 *
 * MUST NOT put any secret into the facts. Throws ZtError `detector-limit` when the input exceeds
 * the scan bounds, TypeError on a malformed argument, and nothing else.
 */
export function detectSecrets(values: readonly ScannedString[]): SecretFacts {
  assertScanBounds(values);
  const perValue = values.map(({ path, value }) => scanValue(path, value));
  const awsKeyInCall = perValue.some((found) => found.some((f) => f.kind === 'aws-access-key-id'));
  const kinds = new Set<SecretKind>();
  const paths: string[] = [];
  let count = 0;
  values.forEach(({ path, value }, index) => {
    const scanned = perValue[index] ?? [];
    const found = awsKeyInCall ? withAwsSecrets(value, scanned) : scanned;
    if (found.length === 0) return;
    count += found.length;
    for (const f of found) kinds.add(f.kind);
    paths.push(redactPath(path, (segment) => scanValue('', segment).length > 0));
  });
  return { found: count > 0, kinds: [...kinds].sort(), paths: factPaths(paths), count };
}

function scanValue(path: string, value: string): Finding[] {
  const claimed = new Claims(value.length);
  const found: Finding[] = [];
  const add = (kind: SecretKind, start: number, end: number): void => {
    if (claimed.overlaps(start, end)) return;
    claimed.claim(start, end);
    found.push({ kind, start, end });
  };
  const providers = PROVIDER_HINT.test(value) ? PROVIDER_PATTERNS : [];
  for (const { kind, pattern } of providers) {
    for (const match of value.matchAll(pattern)) {
      if (kind === 'jwt' && !jwtHeaderValid(match[0])) continue;
      if (
        kind === 'url-credentials' &&
        isPlaceholder(match[0].slice(match[0].lastIndexOf(':') + 1, -1))
      ) {
        continue;
      }
      if (kind === 'authorization-header' && !mixedClasses(match[0].replace(/^\S+\s+/, '')))
        continue;
      add(kind, match.index, match.index + match[0].length);
    }
  }
  const assignments = ASSIGNMENT_HINT.test(value) ? value.matchAll(ASSIGNMENT) : [];
  for (const match of assignments) {
    const name = match[1] ?? '';
    const secret = match[2] ?? '';
    if (isPlaceholder(secret)) continue;
    const start = match.index + match[0].length - secret.length;
    add(assignmentKind(name, secret), start, start + secret.length);
  }
  const field = lastSegment(path);
  if (
    field !== '' &&
    SECRET_FIELD.test(field) &&
    value.trim().length >= 6 &&
    !isPlaceholder(value.trim())
  ) {
    add(assignmentKind(field, value.trim()), 0, value.length);
  }
  for (const match of value.matchAll(ENTROPY_TOKEN)) {
    const token = match[0].replace(/=+$/, '');
    if (highEntropy(token)) add('high-entropy', match.index, match.index + token.length);
  }
  return found;
}

// With an AWS key id in the call, a 40-character base64 run is its secret access key: a generic
// finding on exactly that span is made specific, and an unreported mixed-case run is added.
// Findings never overlap (Claims), so sorted by start they are sorted by end too.
function withAwsSecrets(value: string, found: readonly Finding[]): Finding[] {
  const out = [...found].sort((a, b) => a.start - b.start);
  const added: Finding[] = [];
  let j = 0;
  for (const match of value.matchAll(AWS_SECRET)) {
    const start = match.index;
    const end = start + match[0].length;
    while (j < out.length && (out[j]?.end ?? 0) <= start) j++;
    const next = out[j];
    if (next !== undefined && next.start < end) {
      const generic = next.kind === 'high-entropy' || next.kind === 'credential-assignment';
      if (generic && next.start === start && next.end === end) {
        out[j] = { kind: 'aws-secret-access-key', start, end };
      }
    } else if (mixedClasses(match[0]) && !/^[0-9a-fA-F]+$/.test(match[0])) {
      added.push({ kind: 'aws-secret-access-key', start, end });
    }
  }
  return [...out, ...added];
}

function assignmentKind(name: string, secret: string): SecretKind {
  const normalized = name.toLowerCase().replace(/[_.-]/g, '');
  if (normalized.includes('secretaccesskey') && /^[A-Za-z0-9/+]{40}$/.test(secret)) {
    return 'aws-secret-access-key';
  }
  return 'credential-assignment';
}

// The field name a value sits under, normalized; '' for object keys themselves (`…#key`).
function lastSegment(path: string): string {
  const segment = /([^.[\]#]+)$/.exec(path)?.[1] ?? '';
  return segment.toLowerCase().replace(/[_-]/g, '');
}

// Values that name a secret rather than being one: template variables, masks, empty markers.
function isPlaceholder(value: string): boolean {
  return (
    /^[$%{<*[(]/.test(value) ||
    /^(.)\1*$/.test(value) ||
    /^(?:null|undefined|none|true|false|redacted|changeme|example|password|secret|xxx+)$/i.test(
      value,
    )
  );
}

function highEntropy(token: string): boolean {
  const { minLength, maxLength, bitsPerChar, minTransitionRatio } = ENTROPY_RULE;
  if (token.length < minLength || token.length > maxLength) return false;
  if (/^[0-9a-fA-F-]+$/.test(token)) return false;
  if (!/[0-9]/.test(token) || !/[A-Za-z]/.test(token)) return false;
  if (!(/[a-z]/.test(token) && /[A-Z]/.test(token)) && token.length < minLength + 12) return false;
  return transitionRatio(token) >= minTransitionRatio && shannonEntropy(token) >= bitsPerChar;
}

// Share of adjacent pairs that switch letter↔digit or lower→upper: high for random strings,
// low for words, paths and camelCase identifiers.
function transitionRatio(token: string): number {
  let transitions = 0;
  for (let i = 1; i < token.length; i++) {
    const a = charClass(token.charCodeAt(i - 1));
    const b = charClass(token.charCodeAt(i));
    if ((a === 'digit') !== (b === 'digit') && a !== 'other' && b !== 'other') transitions++;
    else if (a === 'lower' && b === 'upper') transitions++;
  }
  return transitions / (token.length - 1);
}

function charClass(code: number): 'digit' | 'lower' | 'upper' | 'other' {
  if (code >= 48 && code <= 57) return 'digit';
  if (code >= 97 && code <= 122) return 'lower';
  if (code >= 65 && code <= 90) return 'upper';
  return 'other';
}

function mixedClasses(text: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(text)).length;
  return classes >= 2;
}

// RFC 7519 §7.2: the first segment is the base64url encoding of a JSON object (the JOSE header).
function jwtHeaderValid(token: string): boolean {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'),
    );
    return (
      typeof header === 'object' &&
      header !== null &&
      typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

// Which characters of a value an earlier rule already reported; a byte map keeps checks linear.
class Claims {
  #map: Uint8Array | undefined;
  readonly #length: number;
  constructor(length: number) {
    this.#length = length;
  }
  overlaps(start: number, end: number): boolean {
    if (this.#map === undefined) return false;
    for (let i = start; i < end; i++) if (this.#map[i] === 1) return true;
    return false;
  }
  claim(start: number, end: number): void {
    this.#map ??= new Uint8Array(this.#length);
    this.#map.fill(1, start, end);
  }
}
