// Known-answer tests for the SQL detector: one named test per evasion trick, benign near-misses, limits and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_DIALECTS, MAX_SQL_LENGTH, detectSql } from '../src/detectors/sql.js';
import { ZtError } from '../src/errors.js';

/** Not benign: the policy denies either a parse error or a destructive statement. */
function expectDenied(text: string): void {
  const f = detectSql(text);
  expect(f.parseError || f.destructive, JSON.stringify(f)).toBe(true);
}

describe('detectSql: facts shape', () => {
  it('reports a plain SELECT as a single read', () => {
    expect(detectSql('SELECT id, name FROM Users WHERE id = 42')).toEqual({
      parseError: false,
      dialect: 'postgresql',
      dialects: ['postgresql', 'mysql', 'sqlite', 'transactsql'],
      statementCount: 1,
      statementKinds: ['select'],
      tables: ['users'],
      functions: [],
      multipleStatements: false,
      writes: false,
      destructive: false,
      unboundedWrite: false,
      executableComment: false,
    });
  });

  it('tries postgresql, mysql, sqlite, transactsql by default', () => {
    expect(DEFAULT_SQL_DIALECTS).toEqual(['postgresql', 'mysql', 'sqlite', 'transactsql']);
  });

  it('keeps schema-qualified table names', () => {
    expect(detectSql('INSERT INTO Audit.Log SELECT * FROM public.b').tables).toEqual([
      'public.b',
      'audit.log',
    ]);
  });

  it('lists called functions, lower-cased', () => {
    expect(detectSql('SELECT PG_SLEEP(10), count(*) FROM t').functions).toEqual([
      'pg_sleep',
      'count',
    ]);
  });

  it('honours the configured dialects', () => {
    const f = detectSql('DELETE FROM [users] WHERE id = 1', { dialects: ['postgresql'] });
    expect(f.parseError).toBe(true);
    expect(f.dialect).toBe('');
    const g = detectSql('DELETE FROM [users] WHERE id = 1', { dialects: ['transactsql'] });
    expect(g).toMatchObject({
      parseError: false,
      dialect: 'transactsql',
      writes: true,
      destructive: false,
    });
  });

  it('treats empty text and a lone semicolon as zero statements', () => {
    expect(detectSql('')).toMatchObject({ parseError: false, statementCount: 0, writes: false });
    expect(detectSql(';')).toMatchObject({ parseError: false, statementCount: 0, writes: false });
  });
});

describe('detectSql: tricks (issue text: comments inside keywords, case games, stacked statements, quoting)', () => {
  it('comment inside a keyword: DR/**/OP TABLE x is a parse error, never benign', () => {
    // T-SQL's grammar in node-sql-parser reads it as bare variable assignments; those are not statements.
    const f = detectSql('DR/**/OP TABLE x');
    expect(f.parseError).toBe(true);
    expectDenied('DR/**/OP TABLE x');
  });

  it('case games: dRoP table x is a destructive DROP', () => {
    expect(detectSql('dRoP table x')).toMatchObject({
      destructive: true,
      statementKinds: ['drop'],
      tables: ['x'],
    });
  });

  it('stacked statements: SELECT 1; DROP TABLE users', () => {
    expect(detectSql('SELECT 1; DROP TABLE users')).toMatchObject({
      statementCount: 2,
      multipleStatements: true,
      statementKinds: ['select', 'drop'],
      destructive: true,
      tables: ['users'],
    });
  });

  it('double-quoted identifier: DELETE FROM "users"', () => {
    expect(detectSql('DELETE FROM "users"')).toMatchObject({
      destructive: true,
      unboundedWrite: true,
      tables: ['users'],
    });
  });

  it('bracket-quoted identifier (T-SQL): DELETE FROM [users]', () => {
    expect(detectSql('DELETE FROM [users]')).toMatchObject({
      dialect: 'transactsql',
      destructive: true,
      unboundedWrite: true,
      tables: ['users'],
    });
  });

  it('backtick-quoted identifier (MySQL): delete from `users`', () => {
    expect(detectSql('delete from `users`')).toMatchObject({
      destructive: true,
      unboundedWrite: true,
      tables: ['users'],
    });
  });

  it('MySQL executable comment: /*!50000 DROP */ TABLE t', () => {
    const f = detectSql('/*!50000 DROP */ TABLE t');
    expect(f.executableComment).toBe(true);
    expect(f.destructive).toBe(true);
    expect(f.statementKinds).toContain('drop');
  });

  it('MySQL executable comment hiding a stacked statement: SELECT 1 /*!50000 ; DROP TABLE t */', () => {
    expect(detectSql('SELECT 1 /*!50000 ; DROP TABLE t */')).toMatchObject({
      executableComment: true,
      destructive: true,
    });
  });

  it('MariaDB executable comment: SELECT 1 /*M!100100 ; DROP TABLE t */', () => {
    expect(detectSql('SELECT 1 /*M!100100 ; DROP TABLE t */')).toMatchObject({
      executableComment: true,
      destructive: true,
    });
  });

  it('line comment ending before a stacked statement: SELECT 1 -- \\n; DROP TABLE t', () => {
    expect(detectSql('SELECT 1 -- \n; DROP TABLE t')).toMatchObject({
      multipleStatements: true,
      destructive: true,
    });
  });

  it('MySQL "--" without a space is not a comment: SELECT 1 --1; DROP TABLE t', () => {
    expect(detectSql('SELECT 1 --1; DROP TABLE t').destructive).toBe(true);
  });

  it('dialect disagreement on "#": SELECT 1 # ; DROP TABLE t is a DROP for T-SQL', () => {
    expect(detectSql('SELECT 1 # ; DROP TABLE t').destructive).toBe(true);
  });

  it('trivially true WHERE: UPDATE t SET a=1 WHERE 1=1', () => {
    expect(detectSql('UPDATE t SET a=1 WHERE 1=1')).toMatchObject({
      unboundedWrite: true,
      destructive: true,
    });
  });

  it.each([
    ['DELETE FROM t WHERE true'],
    ['DELETE FROM t WHERE 1'],
    ["DELETE FROM t WHERE 'a'='a'"],
    ['DELETE FROM t WHERE id = 3 OR 1=1'],
    ['UPDATE t SET a=1 WHERE id = id'],
    ["DELETE FROM t WHERE name LIKE '%'"],
    ['DELETE FROM t WHERE NOT false'],
    ['DELETE FROM t WHERE 1=1 AND 2=2'],
  ])('trivially true WHERE variant: %s', (sql) => {
    expect(detectSql(sql)).toMatchObject({ unboundedWrite: true, destructive: true });
  });

  it('unicode look-alike keyword (fullwidth ＤＲＯＰ) is a parse error', () => {
    expectDenied('ＤＲＯＰ TABLE t');
    expect(detectSql('ＤＲＯＰ TABLE t').parseError).toBe(true);
  });

  it('unicode look-alike keyword (Cyrillic О in DRОP) is a parse error', () => {
    expect(detectSql('DR\u041eP TABLE t').parseError).toBe(true);
  });

  it('data-modifying CTE: WITH x AS (DELETE … RETURNING *) SELECT is a parse error (grammar limit), never benign', () => {
    expectDenied('WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x');
  });

  it('SELECT … INTO creates a table: a write', () => {
    expect(detectSql('SELECT * INTO newt FROM t')).toMatchObject({
      writes: true,
      destructive: false,
    });
  });

  it('CREATE OR REPLACE overwrites an object: destructive; plain CREATE is a write only', () => {
    expect(detectSql('CREATE OR REPLACE VIEW v AS SELECT 1')).toMatchObject({
      writes: true,
      destructive: true,
    });
    expect(detectSql('CREATE TABLE a (x int)')).toMatchObject({ writes: true, destructive: false });
  });

  it.each([
    ['TRUNCATE t'],
    ['ALTER TABLE t DROP COLUMN c'],
    ['GRANT ALL ON t TO u'],
    ['RENAME TABLE a TO b'],
  ])('destructive statement kind: %s', (sql) => {
    expect(detectSql(sql)).toMatchObject({ writes: true, destructive: true });
  });

  it('REVOKE is destructive', () => {
    expect(detectSql('REVOKE SELECT ON t FROM u')).toMatchObject({ destructive: true });
  });

  it('an unparsable statement (MERGE) is a parse error', () => {
    expect(
      detectSql('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE').parseError,
    ).toBe(true);
  });

  it('a stored-procedure call is a write (its body is unknown)', () => {
    expect(detectSql('CALL cleanup()')).toMatchObject({ writes: true, statementKinds: ['call'] });
  });

  it('a bound parameter in WHERE is not trivially true', () => {
    expect(detectSql('DELETE FROM t WHERE id = $1')).toMatchObject({
      writes: true,
      unboundedWrite: false,
    });
  });
});

describe('detectSql: benign near-misses', () => {
  it("DELETE inside a string literal: SELECT 'DELETE FROM users'", () => {
    expect(detectSql("SELECT 'DELETE FROM users'")).toMatchObject({
      parseError: false,
      statementKinds: ['select'],
      tables: [],
      writes: false,
      destructive: false,
    });
  });

  it('a table whose name starts with a keyword: SELECT * FROM deleted_items', () => {
    expect(detectSql('SELECT * FROM deleted_items')).toMatchObject({
      tables: ['deleted_items'],
      writes: false,
      destructive: false,
    });
  });

  it('a bounded update: UPDATE t SET a=1 WHERE id=3', () => {
    expect(detectSql('UPDATE t SET a=1 WHERE id=3')).toMatchObject({
      statementKinds: ['update'],
      writes: true,
      destructive: false,
      unboundedWrite: false,
    });
  });

  it('a DROP inside a block comment is only a comment: SELECT 1 /* ; DROP TABLE t */', () => {
    expect(detectSql('SELECT 1 /* ; DROP TABLE t */')).toMatchObject({
      destructive: false,
      statementCount: 1,
    });
  });

  it('a bounded delete with AND of a constant and a column condition', () => {
    expect(detectSql('DELETE FROM t WHERE 1=1 AND id = 3')).toMatchObject({
      unboundedWrite: false,
      destructive: false,
    });
  });
});

describe('detectSql: limits and misuse', () => {
  it('rejects text over the size limit with ZtError detector-limit', () => {
    const text = 'SELECT ' + '1'.repeat(MAX_SQL_LENGTH);
    expect(() => detectSql(text)).toThrow(ZtError);
    try {
      detectSql(text);
    } catch (error) {
      expect((error as ZtError).code).toBe('detector-limit');
    }
  });

  it('accepts text exactly at the size limit', () => {
    const text = 'SELECT 1' + ' '.repeat(MAX_SQL_LENGTH - 8);
    expect(detectSql(text).parseError).toBe(false);
  });

  it('throws TypeError for a non-string (caller misuse)', () => {
    expect(() => detectSql(42 as unknown as string)).toThrow(TypeError);
  });

  it('turns deep nesting into a fact, not a crash', () => {
    const f = detectSql('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000));
    expect(typeof f.parseError).toBe('boolean');
  });
});

describe('detectSql: properties', () => {
  const sqlish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc
      .array(
        fc.constantFrom(
          'SELECT',
          'DELETE',
          'FROM',
          'WHERE',
          'DROP',
          'TABLE',
          't',
          '"u"',
          '`v`',
          '[w]',
          "'s'",
          '1=1',
          ';',
          '--',
          '\n',
          '/*',
          '*/',
          '/*!',
          '#',
          '(',
          ')',
          ',',
          '*',
          ' ',
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(' ')),
  );

  it('never throws on arbitrary strings within the limit', () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        detectSql(text);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        expect(detectSql(text)).toEqual(detectSql(text));
      }),
      { numRuns: 150 },
    );
  });

  it('facts are Cedar-friendly: booleans, strings, safe integers, arrays of strings', () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        for (const value of Object.values(detectSql(text))) {
          if (typeof value === 'number') expect(Number.isSafeInteger(value)).toBe(true);
          else if (Array.isArray(value)) for (const v of value) expect(typeof v).toBe('string');
          else expect(['boolean', 'string']).toContain(typeof value);
        }
      }),
      { numRuns: 100 },
    );
  });
});
