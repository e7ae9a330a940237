// Path detector: one named test per traversal trick, benign near misses, both platforms, and property tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Facts } from '../src/detectors/detector.js';
import { detectPath, MAX_PATH_LENGTH, type PathFacts } from '../src/detectors/path.js';
import { ZtError } from '../src/errors.js';

const ROOT = '/srv/root';
const ROOTS = { roots: [ROOT] } as const;

function facts(value: string, options: Parameters<typeof detectPath>[1] = ROOTS): PathFacts {
  return detectPath(value, options);
}

function expectRefused(
  value: string,
  options: Parameters<typeof detectPath>[1] = ROOTS,
): PathFacts {
  const f = facts(value, options);
  expect(f.parseError).toBe(false);
  expect(f.allowed).toBe(false);
  return f;
}

describe('detectPath: traversal tricks', () => {
  it('plain ../ climbs above the start and escapes the root', () => {
    expect(expectRefused('../etc/passwd')).toMatchObject({
      climbsAboveStart: true,
      escapesRoot: true,
      encodedTraversal: false,
      normalized: '../etc/passwd',
    });
  });
  it('climbing after descending: a/../../b', () => {
    expect(expectRefused('a/../../b').climbsAboveStart).toBe(true);
  });
  it('percent-encoded separator ..%2f..%2fetc/passwd', () => {
    expect(expectRefused('..%2f..%2fetc/passwd')).toMatchObject({
      encodedTraversal: true,
      climbsAboveStart: true,
      escapesRoot: true,
    });
  });
  it('upper-case escape ..%2F', () => {
    expect(expectRefused('..%2Fetc').encodedTraversal).toBe(true);
  });
  it('percent-encoded dots %2e%2e/', () => {
    expect(expectRefused('%2e%2e/%2e%2e/etc').encodedTraversal).toBe(true);
  });
  it('mixed %2e./', () => {
    expect(expectRefused('%2e./secret').encodedTraversal).toBe(true);
  });
  it('double encoding %252e%252e%252f', () => {
    expect(expectRefused('%252e%252e%252fetc%252fpasswd')).toMatchObject({
      encodedTraversal: true,
      climbsAboveStart: true,
    });
  });
  it('triple encoding %25252e%25252e/', () => {
    expect(expectRefused('%25252e%25252e/etc').encodedTraversal).toBe(true);
  });
  it('nesting deeper than the decode bound counts as encoded traversal', () => {
    expect(expectRefused('a%252525252525252e').encodedTraversal).toBe(true);
  });
  it('overlong UTF-8 dot %c0%ae%c0%ae/', () => {
    expect(expectRefused('%c0%ae%c0%ae/etc/passwd')).toMatchObject({
      encodedTraversal: true,
      climbsAboveStart: true,
    });
  });
  it('overlong UTF-8 slash ..%c0%af', () => {
    expect(expectRefused('..%c0%af..%c0%afetc').encodedTraversal).toBe(true);
  });
  it('three-byte overlong dot %e0%80%ae', () => {
    expect(expectRefused('%e0%80%ae%e0%80%ae/etc').encodedTraversal).toBe(true);
  });
  it('IIS %u002e%u002e%u2215 style', () => {
    expect(expectRefused('%u002e%u002e/etc').encodedTraversal).toBe(true);
  });
  it('encoded backslash ..%5c..%5cetc', () => {
    expect(expectRefused('..%5c..%5cetc').encodedTraversal).toBe(true);
  });
  it('full-width dots and solidus ．．／ fold to ../ under NFKC', () => {
    expect(expectRefused('．．／．．／etc').encodedTraversal).toBe(true);
  });
  it('encoded separator alone a%2fb is flagged', () => {
    expect(expectRefused('a%2fb').encodedTraversal).toBe(true);
  });
  it('raw NUL byte', () => {
    expect(expectRefused('report.txt\0.png')).toMatchObject({ nulByte: true, escapesRoot: false });
  });
  it('percent-encoded NUL %00', () => {
    expect(expectRefused('report.txt%00.png').nulByte).toBe(true);
  });
  it('double-encoded NUL %2500', () => {
    expect(expectRefused('report.txt%2500.png').nulByte).toBe(true);
  });
  it('overlong NUL %c0%80', () => {
    expect(expectRefused('report.txt%c0%80.png').nulByte).toBe(true);
  });
  it('backslash separators ..\\..\\etc on posix', () => {
    expect(expectRefused('..\\..\\etc')).toMatchObject({
      backslashSeparators: true,
      climbsAboveStart: true,
      escapesRoot: true,
    });
  });
  it('mixed separators ../..\\etc on posix', () => {
    expect(expectRefused('docs/..\\..\\..\\etc').backslashSeparators).toBe(true);
  });
  it('absolute path elsewhere /etc/passwd', () => {
    expect(expectRefused('/etc/passwd')).toMatchObject({
      absolute: true,
      escapesRoot: true,
      withinRoots: false,
      climbsAboveStart: false,
    });
  });
  it('absolute path that leaves the root through .. /srv/root/../other', () => {
    expect(expectRefused('/srv/root/../other')).toMatchObject({
      normalized: '/srv/other',
      escapesRoot: true,
    });
  });
  it('sibling with the root as a prefix /srv/rootx/a', () => {
    expect(expectRefused('/srv/rootx/a').escapesRoot).toBe(true);
  });
  it('home expansion ~/.ssh/id_rsa leaves the root', () => {
    expect(expectRefused('~/.ssh/id_rsa')).toMatchObject({ homeRelative: true, escapesRoot: true });
  });
  it('relative climb escapes even where no root is configured', () => {
    expect(expectRefused('../../etc/shadow', {})).toMatchObject({
      climbsAboveStart: true,
      escapesRoot: false,
      withinRoots: false,
    });
  });
});

describe('detectPath: benign near misses', () => {
  it('a path inside the root', () => {
    expect(facts('/srv/root/docs/readme.md')).toMatchObject({
      parseError: false,
      absolute: true,
      withinRoots: true,
      escapesRoot: false,
      allowed: true,
    });
  });
  it('the root itself, with and without a trailing slash', () => {
    expect(facts('/srv/root').allowed).toBe(true);
    expect(facts('/srv/root/').allowed).toBe(true);
  });
  it('a relative path inside the root', () => {
    expect(facts('docs/readme.md')).toMatchObject({ withinRoots: true, allowed: true });
  });
  it('docs/..hidden/file: a name starting with two dots', () => {
    expect(facts('docs/..hidden/file')).toMatchObject({ climbsAboveStart: false, allowed: true });
  });
  it('a file literally named a..b', () => {
    expect(facts('a..b').allowed).toBe(true);
  });
  it('descending then climbing back inside: a/b/../c', () => {
    expect(facts('a/b/../c')).toMatchObject({ normalized: 'a/c', allowed: true });
  });
  it('a literal percent sign that decodes to nothing special: 100%25 done.txt', () => {
    expect(facts('100%25 done.txt')).toMatchObject({ encodedTraversal: false, allowed: true });
  });
  it('a file named .hidden and dot segments ./a/./b', () => {
    expect(facts('./a/./.hidden').allowed).toBe(true);
  });
  it('a file named ~backup (no separator, so no home expansion)', () => {
    expect(facts('~backup').allowed).toBe(true);
  });
  it('Unicode file names are fine', () => {
    expect(facts('données/résumé.pdf').allowed).toBe(true);
  });
  it('an absolute path with no roots configured', () => {
    expect(facts('/etc/hosts', {})).toMatchObject({ escapesRoot: false, allowed: true });
  });
  it('several roots: inside any one is within', () => {
    expect(facts('/data/x', { roots: ['/srv/root', '/data'] }).allowed).toBe(true);
  });
  it('the filesystem root as a root', () => {
    expect(facts('/etc/hosts', { roots: ['/'] }).allowed).toBe(true);
  });
});

describe('detectPath: win32', () => {
  const WIN = { roots: ['C:\\srv\\root'], platform: 'win32' } as const;
  it('inside the root, case-insensitively and with either separator', () => {
    expect(facts('C:\\srv\\root\\a.txt', WIN).allowed).toBe(true);
    expect(facts('c:/SRV/Root/a.txt', WIN)).toMatchObject({
      backslashSeparators: false,
      allowed: true,
    });
  });
  it('mixed separators are reported', () => {
    expect(facts('C:\\srv\\root/a.txt', WIN).backslashSeparators).toBe(true);
  });
  it('..\\ climbs', () => {
    expect(expectRefused('..\\Windows\\win.ini', WIN).climbsAboveStart).toBe(true);
  });
  it('another drive', () => {
    expect(expectRefused('D:\\secret', WIN).escapesRoot).toBe(true);
  });
  it('drive-relative C:foo', () => {
    expect(expectRefused('C:foo', WIN).escapesRoot).toBe(true);
  });
  it('UNC path \\\\server\\share', () => {
    expect(expectRefused('\\\\server\\share\\x', WIN).escapesRoot).toBe(true);
  });
  it('trailing dots: ...\\ acts as ..\\', () => {
    expect(expectRefused('...\\x', WIN).climbsAboveStart).toBe(true);
  });
});

describe('detectPath: bounds and shape', () => {
  it('refuses a path beyond the size limit with detector-limit', () => {
    try {
      detectPath('a'.repeat(MAX_PATH_LENGTH + 1), ROOTS);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ZtError);
      expect((error as ZtError).code).toBe('detector-limit');
    }
  });
  it('the longest accepted path is analysed', () => {
    expect(detectPath('a'.repeat(MAX_PATH_LENGTH), ROOTS).allowed).toBe(true);
  });
  it('empty path and lone surrogates are parse errors', () => {
    expect(facts('')).toMatchObject({ parseError: true, allowed: false });
    expect(facts('a\uD800b')).toMatchObject({ parseError: true, allowed: false });
  });
  it('misuse: non-string value or a relative root is a TypeError', () => {
    expect(() => detectPath(1 as unknown as string, ROOTS)).toThrow(TypeError);
    expect(() => detectPath('a', { roots: ['relative/root'] })).toThrow(TypeError);
  });
  it('does not mutate the options', () => {
    const roots = ['/srv/root/'];
    const options = Object.freeze({ roots: Object.freeze(roots) });
    detectPath('a', options);
    expect(roots).toEqual(['/srv/root/']);
  });
  it('facts are Cedar-friendly data', () => {
    const f: Facts = facts('a/b');
    expect(Object.values(f).every((v) => typeof v === 'boolean' || typeof v === 'string')).toBe(
      true,
    );
  });
});

describe('properties', () => {
  const segment = fc
    .stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}$/)
    .filter((s) => s !== '.' && s !== '..' && !s.startsWith('~'));
  // A safe relative path: names, '.' segments, and '..' only while deeper than the start.
  const safePath = fc
    .array(fc.oneof(segment, segment, fc.constant('.'), fc.constant('..')), {
      minLength: 1,
      maxLength: 10,
    })
    .map((parts) => {
      const out: string[] = [];
      let depth = 0;
      for (const part of parts) {
        if (part === '..') {
          if (depth === 0) continue;
          depth -= 1;
        } else if (part !== '.') depth += 1;
        out.push(part);
      }
      return { path: out.length === 0 ? '.' : out.join('/'), depth };
    });

  it('a generated safe relative path inside the root is allowed, relative and absolute', () => {
    fc.assert(
      fc.property(safePath, ({ path }) => {
        expect(detectPath(path, ROOTS)).toMatchObject({ allowed: true, withinRoots: true });
        expect(detectPath(`${ROOT}/${path}`, ROOTS).allowed).toBe(true);
        expect(detectPath(path, {}).allowed).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('k extra ../ beyond its depth makes it escape, prefixed or appended', () => {
    fc.assert(
      fc.property(safePath, fc.integer({ min: 1, max: 5 }), ({ path, depth }, k) => {
        const prefixed = detectPath(`${'../'.repeat(depth + k)}${path}`, ROOTS);
        expect(prefixed).toMatchObject({
          climbsAboveStart: true,
          escapesRoot: true,
          allowed: false,
        });
        const appended = detectPath(`${path}${'/..'.repeat(depth + k)}`, ROOTS);
        expect(appended).toMatchObject({
          climbsAboveStart: true,
          escapesRoot: true,
          allowed: false,
        });
        // Exactly its depth returns to the start: still inside.
        expect(detectPath(`${path}${'/..'.repeat(depth)}`, ROOTS).allowed).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('percent-encoding the ../ of an escaping path is still refused', () => {
    fc.assert(
      fc.property(
        safePath,
        fc.constantFrom('..%2f', '%2e%2e/', '%252e%252e%252f', '%c0%ae%c0%ae/'),
        ({ path, depth }, up) => {
          expect(detectPath(`${up.repeat(depth + 1)}${path}`, ROOTS).allowed).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '..',
            '.',
            '/',
            '\\',
            '%',
            '%2',
            '%2e',
            '%25',
            '%c0',
            '%u',
            '~',
            '\0',
            'C:',
          ),
          fc.string({ maxLength: 4 }),
        ),
        { maxLength: 16 },
      )
      .map((parts) => parts.join('')),
  );

  it('never throws on arbitrary strings, on either platform', () => {
    fc.assert(
      fc.property(
        anyString,
        fc.constantFrom('posix', 'win32') as fc.Arbitrary<'posix' | 'win32'>,
        (value, platform) => {
          const roots = platform === 'posix' ? [ROOT] : ['C:\\srv\\root'];
          const f = detectPath(value, { roots, platform });
          if (f.allowed) expect(f.escapesRoot || f.climbsAboveStart || f.nulByte).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        expect(detectPath(value, ROOTS)).toEqual(detectPath(value, ROOTS));
      }),
      { numRuns: 500 },
    );
  });
});
