// Path detector: lexical traversal analysis of one file path as every consumer might read it (raw, percent-decoded per RFC 3986 §2.1 with overlong UTF-8 as lax decoders accept it, NFKC, either separator) — no file-system I/O.
import { posix, win32 } from 'node:path';
import { ZtError } from '../errors.js';

/** Longest path accepted (the Windows extended-length limit); longer is `detector-limit`. */
export const MAX_PATH_LENGTH = 32_767;
/** How many nested percent-encodings are peeled; deeper nesting counts as encoded traversal. */
export const MAX_DECODE_ROUNDS = 4;

/** Options for {@link detectPath}. */
export type PathOptions = {
  /** Allowed roots, absolute. Relative paths are resolved against each root in turn. */
  readonly roots?: readonly string[];
  /** Path syntax of the consumer; default `posix`. */
  readonly platform?: 'posix' | 'win32';
};

/** Facts about one path (stable shape: every key is always present). */
export type PathFacts = {
  /** Empty, or not well-formed UTF-16 (a lone surrogate). */
  readonly parseError: boolean;
  /** The raw path normalized lexically for the platform (`.`/`..` folded, separators collapsed). */
  readonly normalized: string;
  /** Absolute for the platform. */
  readonly absolute: boolean;
  /** Roots are configured and some reading of the path lies outside every one of them. */
  readonly escapesRoot: boolean;
  /** A relative path whose `..` climbs above its starting directory, roots or not. */
  readonly climbsAboveStart: boolean;
  /** Percent-, double-, overlong-UTF-8-, `%u`- or full-width-encoded `..` or separators. */
  readonly encodedTraversal: boolean;
  /** A NUL, raw or encoded (`%00`, `%c0%80`). */
  readonly nulByte: boolean;
  /** posix: a backslash, which Windows-style consumers treat as a separator; win32: `/` and `\` mixed. */
  readonly backslashSeparators: boolean;
  /** Starts with `~` / `~user` followed by a separator (or is `~`): home expansion leaves any root. */
  readonly homeRelative: boolean;
  /** Roots are configured and every reading of the path lies inside one of them. */
  readonly withinRoots: boolean;
  /** Not parse error, not escaping a root, not climbing, no NUL, no encoded traversal. */
  readonly allowed: boolean;
};

type PathApi = typeof posix;

const PARSE_ERROR: PathFacts = {
  parseError: true,
  normalized: '',
  absolute: false,
  escapesRoot: false,
  climbsAboveStart: false,
  encodedTraversal: false,
  nulByte: false,
  backslashSeparators: false,
  homeRelative: false,
  withinRoots: false,
  allowed: false,
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SEPARATORS = /[/\\]/;

/**
 * Decodes UTF-8 the way lax decoders do: overlong forms are accepted (`c0 ae` → `.`,
 * `c0 af` → `/`, `e0 80 ae` → `.`), which is exactly the trick RFC 3629 §10 warns about.
 */
function decodeUtf8Lax(bytes: readonly number[]): string {
  let out = '';
  const cont = (i: number): number | undefined => {
    const b = bytes[i];
    return b !== undefined && (b & 0xc0) === 0x80 ? b & 0x3f : undefined;
  };
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const width = b < 0x80 ? 1 : b >= 0xc0 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : 4;
    let cp: number | undefined = width === 1 ? b : b & (0xff >> (width + 1));
    if (b >= 0x80 && (b < 0xc0 || b >= 0xf8)) cp = undefined;
    for (let k = 1; k < width && cp !== undefined; k++) {
      const c = cont(i + k);
      cp = c === undefined ? undefined : (cp << 6) | c;
    }
    if (cp === undefined || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += '\uFFFD';
      i += 1;
    } else {
      out += String.fromCodePoint(cp);
      i += width;
    }
  }
  return out;
}

/** One round of percent-decoding (`%XX` runs as lax UTF-8, and IIS-style `%uXXXX`). */
function decodeOnce(s: string): string {
  if (!s.includes('%')) return s;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += decodeUtf8Lax(bytes);
    bytes = [];
  };
  for (let i = 0; i < s.length;) {
    if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 3;
        continue;
      }
      const wide = s.slice(i + 1, i + 6);
      if (/^[uU][0-9a-fA-F]{4}$/.test(wide)) {
        flush();
        out += String.fromCharCode(parseInt(wide.slice(1), 16));
        i += 6;
        continue;
      }
    }
    flush();
    out += s[i] ?? '';
    i += 1;
  }
  flush();
  return out;
}

/** Peels up to MAX_DECODE_ROUNDS encodings; `exhausted` when more remain after that. */
function decodeRepeatedly(s: string): { text: string; exhausted: boolean } {
  let text = s;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeOnce(text);
    if (next === text) return { text, exhausted: false };
    text = next;
  }
  return { text, exhausted: decodeOnce(text) !== text };
}

function isDotDot(segment: string, platform: 'posix' | 'win32'): boolean {
  // Win32 strips trailing dots and spaces from a component, so "... " and ".. " act as "..".
  return platform === 'win32' ? /^\.\.[. ]*$/.test(segment) : segment === '..';
}

function countDotDot(s: string, platform: 'posix' | 'win32'): number {
  return s.split(SEPARATORS).filter((segment) => isDotDot(segment, platform)).length;
}

function countSeparators(s: string): number {
  return s.split(SEPARATORS).length - 1;
}

function isHomeRelative(s: string): boolean {
  return s === '~' || /^~[A-Za-z0-9._-]*[/\\]/.test(s);
}

/** A win32 path with a drive but no root ("C:foo") is relative to that drive's own cwd. */
function isDriveRelative(s: string, api: PathApi): boolean {
  return api === win32 && /^[A-Za-z]:/.test(s) && !win32.isAbsolute(s);
}

function climbs(view: string, api: PathApi, platform: 'posix' | 'win32'): boolean {
  if (api.isAbsolute(view)) return false;
  let depth = 0;
  for (const segment of view.split(api === win32 ? SEPARATORS : '/')) {
    if (segment === '' || segment === '.') continue;
    if (isDotDot(segment, platform)) {
      depth -= 1;
      if (depth < 0) return true;
    } else depth += 1;
  }
  return false;
}

function trimSeparators(p: string, api: PathApi): string {
  const root = api.parse(p).root;
  let end = p.length;
  while (
    end > root.length &&
    SEPARATORS.test(p[end - 1] ?? '') &&
    (api === win32 || p[end - 1] === '/')
  )
    end -= 1;
  return p.slice(0, end);
}

function inside(target: string, root: string, api: PathApi): boolean {
  const fold = (s: string): string => (api === win32 ? s.toLowerCase() : s);
  const t = fold(trimSeparators(api.normalize(target), api));
  const r = fold(root);
  if (t === r) return true;
  const prefix = SEPARATORS.test(r.slice(-1)) ? r : r + api.sep;
  return t.startsWith(prefix);
}

function withinSomeRoot(view: string, roots: readonly string[], api: PathApi): boolean {
  if (isHomeRelative(view) || isDriveRelative(view, api)) return false;
  if (api.isAbsolute(view)) return roots.some((root) => inside(view, root, api));
  return roots.some((root) => inside(api.join(root, view), root, api));
}

function normalizeRoots(roots: readonly string[], api: PathApi): string[] {
  return roots.map((root) => {
    if (typeof root !== 'string' || !api.isAbsolute(root) || isDriveRelative(root, api)) {
      throw new TypeError('path roots must be absolute paths');
    }
    return trimSeparators(api.normalize(root), api);
  });
}

/**
 * Facts about one path argument, lexically, with no I/O.
 *
 * The path is read several ways, because the consumer is unknown: as given, percent-decoded
 * (repeatedly, up to {@link MAX_DECODE_ROUNDS}), NFKC-folded, and on posix with `\` as a separator.
 * It escapes if ANY reading escapes. Symlinks are out of scope: resolving them needs I/O, so a
 * link inside a root that points outside (or `link/..`, which the kernel resolves through the
 * link) MUST be handled where the path is used — the MCP filesystem server enforces its roots
 * with realpath, and a gateway step that has file-system access may realpath before forwarding.
 *
 * @throws ZtError `detector-limit` when `value` is longer than {@link MAX_PATH_LENGTH}
 * @throws TypeError when `value` is not a string or a root is not absolute
 */
export function detectPath(value: string, options: PathOptions = {}): PathFacts {
  if (typeof value !== 'string') throw new TypeError('path must be a string');
  if (value.length > MAX_PATH_LENGTH) {
    throw new ZtError('detector-limit', 'path exceeds the detector size limit', {
      detail: { limit: MAX_PATH_LENGTH },
    });
  }
  const platform = options.platform ?? 'posix';
  const api: PathApi = platform === 'win32' ? win32 : posix;
  const roots = normalizeRoots(options.roots ?? [], api);
  if (value === '' || LONE_SURROGATE.test(value)) return PARSE_ERROR;

  const decoded = decodeRepeatedly(value);
  const folded = decoded.text.normalize('NFKC');
  const readings = [value, decoded.text, folded];
  // On posix a backslash is an ordinary character, but a Windows-style consumer splits on it.
  const views = [
    ...new Set(platform === 'posix' ? [...readings, ...readings.map(slashes)] : readings),
  ];

  const rawDotDot = countDotDot(slashes(value), platform);
  const rawSeparators = countSeparators(value);
  const encodedTraversal =
    decoded.exhausted ||
    [decoded.text, folded].some(
      (view) =>
        countDotDot(slashes(view), platform) > rawDotDot || countSeparators(view) > rawSeparators,
    );
  const nulByte = value.includes('\0') || folded.includes('\0') || decoded.text.includes('\0');
  const backslashSeparators =
    platform === 'posix' ? value.includes('\\') : value.includes('\\') && value.includes('/');
  const climbsAboveStart = views.some((view) => climbs(view, api, platform));
  const homeRelative = views.some(isHomeRelative);
  const within = roots.length > 0 && views.every((view) => withinSomeRoot(view, roots, api));
  const escapesRoot = roots.length > 0 && !within;
  return {
    parseError: false,
    normalized: api.normalize(value),
    absolute: api.isAbsolute(value),
    escapesRoot,
    climbsAboveStart,
    encodedTraversal,
    nulByte,
    backslashSeparators,
    homeRelative,
    withinRoots: within,
    allowed: !escapesRoot && !climbsAboveStart && !nulByte && !encodedTraversal,
  };
}

function slashes(s: string): string {
  return s.replaceAll('\\', '/');
}
