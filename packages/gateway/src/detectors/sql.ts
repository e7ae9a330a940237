// SQL facts from a real grammar (node-sql-parser's PEG dialects), never from regexes, so that comments, quoting, case and stacked statements are seen as the database sees them (DESIGN §6).
import nodeSqlParser from 'node-sql-parser';
import { ZtError } from '../errors.js';

/** SQL dialects of node-sql-parser that this detector may try. */
export type SqlDialect =
  | 'postgresql'
  | 'mysql'
  | 'mariadb'
  | 'sqlite'
  | 'transactsql'
  | 'bigquery'
  | 'snowflake'
  | 'redshift'
  | 'db2'
  | 'hive'
  | 'athena'
  | 'trino'
  | 'flinksql'
  | 'noql';

/** Options of {@link detectSql}. */
export interface SqlDetectOptions {
  /** Dialects to try, in order; default {@link DEFAULT_SQL_DIALECTS}. An empty list means the default. */
  readonly dialects?: readonly SqlDialect[];
}

/**
 * Facts about one SQL text. Plain Cedar-friendly data: booleans, strings, safe integers, arrays.
 *
 * Facts are the union over every configured dialect whose grammar accepts the text (a statement
 * is destructive if it is destructive under any dialect that parses it), plus, for the MySQL
 * family, the text as MySQL's lexer sees it (executable comments unwrapped, `--x` not a comment).
 */
export type SqlFacts = {
  /** True when no configured dialect parses the text. The baseline policy denies on it. */
  readonly parseError: boolean;
  /** The first configured dialect that parsed the text, or '' when none did. */
  readonly dialect: string;
  /** Every configured dialect that parsed the text, in configured order. */
  readonly dialects: readonly string[];
  /** Number of top-level statements (the maximum over the parsing dialects; empty statements excluded). */
  readonly statementCount: number;
  /** Lower-case kinds of all statements found, top-level and nested (e.g. ['select', 'drop']). */
  readonly statementKinds: readonly string[];
  /** Lower-case table names, `schema.table` when qualified, in order of first appearance. */
  readonly tables: readonly string[];
  /** Lower-case names of the functions called (e.g. 'pg_sleep', 'load_file'). */
  readonly functions: readonly string[];
  /** More than one top-level statement (stacked queries). */
  readonly multipleStatements: boolean;
  /** Any statement other than a plain read (SELECT without INTO, SHOW, DESCRIBE, EXPLAIN, USE, BEGIN/COMMIT/ROLLBACK). */
  readonly writes: boolean;
  /**
   * DROP, TRUNCATE, ALTER, RENAME, GRANT, REVOKE, CREATE OR REPLACE, or an unbounded DELETE/UPDATE.
   * Plain CREATE, INSERT and REPLACE INTO are writes but not destructive: they add or overwrite
   * addressed rows or new objects; they cannot wipe a table or a privilege by themselves.
   */
  readonly destructive: boolean;
  /** A DELETE or UPDATE whose WHERE is missing or cannot depend on the row (see {@link detectSql}). */
  readonly unboundedWrite: boolean;
  /** The text has a MySQL/MariaDB executable comment (`/*!…*\/`, `/*M!…*\/`), which MySQL runs as code. */
  readonly executableComment: boolean;
};

/** Dialects tried when the tool configuration names none. */
export const DEFAULT_SQL_DIALECTS: readonly SqlDialect[] = [
  'postgresql',
  'mysql',
  'sqlite',
  'transactsql',
];

/** Largest SQL text accepted, in UTF-16 code units; longer input is a `detector-limit` error. */
export const MAX_SQL_LENGTH = 64 * 1024;

const MYSQL_FAMILY: ReadonlySet<SqlDialect> = new Set(['mysql', 'mariadb']);

/** Statement kinds that only read. Everything else counts as a write (fail-closed for unknown kinds). */
const READ_KINDS: ReadonlySet<string> = new Set([
  'select',
  'show',
  'desc',
  'describe',
  'explain',
  'use',
  'transaction',
]);

/** Statement kinds that are destructive on their own. */
const DESTRUCTIVE_KINDS: ReadonlySet<string> = new Set([
  'drop',
  'truncate',
  'alter',
  'rename',
  'grant',
  'revoke',
]);

/**
 * Node `type` values that denote a statement (top-level or nested, e.g. inside an IF or an INSERT … SELECT).
 * Expression nodes use other type names ('function', 'binary_expr', 'column_ref', …).
 */
const STATEMENT_KINDS: ReadonlySet<string> = new Set([
  ...READ_KINDS,
  ...DESTRUCTIVE_KINDS,
  'insert',
  'replace',
  'update',
  'delete',
  'create',
  'set',
  'lock',
  'unlock',
  'call',
  'exec',
  'execute',
  'declare',
  'attach',
  'load_data',
  'if',
  'proc',
  'deallocate',
  'go',
]);

/** Bound on AST nodes visited per parse; beyond it the parse is treated as not understood. */
const MAX_AST_NODES = 200_000;
/** Bound on AST depth visited; beyond it the parse is treated as not understood. */
const MAX_AST_DEPTH = 500;

const parser = new nodeSqlParser.Parser();

/**
 * Classifies one SQL text. Deterministic and free of I/O.
 *
 * Every configured dialect is tried and the facts of all dialects that parse are merged, because
 * grammars disagree on comments and quoting: `SELECT 1 # ; DROP TABLE t` is one harmless SELECT for
 * MySQL (`#` starts a comment) and a SELECT plus a DROP for T-SQL. Taking only the first dialect
 * that parses would let such a text through as benign.
 *
 * `unboundedWrite` flags a DELETE/UPDATE with no WHERE, or whose WHERE cannot depend on the row:
 * no column reference at all (`1=1`, `true`, `'a'='a'`, `1`, also constant-false ones),
 * `e = e` / `e >= e` / `e <= e` / `e IS NOT DISTINCT FROM e` between structurally identical sides, `col LIKE '%'`, an OR
 * with any such branch, an AND whose branches all are such, and NOT of a constant. It cannot know
 * data-dependent tautologies (`id > 0`, `id IS NOT NULL`).
 *
 * A dialect whose result has a top-level node that is not a statement (node-sql-parser's T-SQL
 * grammar reads `DR/**\/OP TABLE x` as bare variable assignments) counts as not parsed there.
 *
 * @throws ZtError `detector-limit` when `text` is longer than {@link MAX_SQL_LENGTH}.
 * @throws TypeError when `text` is not a string (caller misuse).
 */
export function detectSql(text: string, options?: SqlDetectOptions): SqlFacts {
  if (typeof text !== 'string') throw new TypeError('detectSql: text must be a string');
  if (text.length > MAX_SQL_LENGTH) {
    throw new ZtError('detector-limit', 'SQL text exceeds the detector size limit', {
      detail: { limit: MAX_SQL_LENGTH },
    });
  }
  const dialects =
    options?.dialects !== undefined && options.dialects.length > 0
      ? options.dialects
      : DEFAULT_SQL_DIALECTS;
  const executableComment = hasExecutableComment(text);
  const acc = newAccumulator();
  for (const dialect of dialects) analyze(text, dialect, acc);
  const mysqlView = mysqlLexicalView(text);
  if (mysqlView !== text) {
    for (const dialect of dialects)
      if (MYSQL_FAMILY.has(dialect)) analyze(mysqlView, dialect, acc, false);
  }
  return toFacts(acc, executableComment);
}

interface Accumulator {
  dialects: string[];
  statementCount: number;
  kinds: Set<string>;
  tables: Set<string>;
  functions: Set<string>;
  writes: boolean;
  destructive: boolean;
  unboundedWrite: boolean;
}

function newAccumulator(): Accumulator {
  return {
    dialects: [],
    statementCount: 0,
    kinds: new Set(),
    tables: new Set(),
    functions: new Set(),
    writes: false,
    destructive: false,
    unboundedWrite: false,
  };
}

function toFacts(acc: Accumulator, executableComment: boolean): SqlFacts {
  return {
    parseError: acc.dialects.length === 0,
    dialect: acc.dialects[0] ?? '',
    dialects: acc.dialects,
    statementCount: acc.statementCount,
    statementKinds: [...acc.kinds],
    tables: [...acc.tables],
    functions: [...acc.functions],
    multipleStatements: acc.statementCount > 1,
    writes: acc.writes,
    destructive: acc.destructive,
    unboundedWrite: acc.unboundedWrite,
    executableComment,
  };
}

/** Parses `text` as `dialect` and merges what it finds into `acc`; a failed parse adds nothing. */
function analyze(text: string, dialect: SqlDialect, acc: Accumulator, recordDialect = true): void {
  let result: { tableList: unknown; ast: unknown };
  try {
    result = parser.parse(text, { database: dialect });
  } catch {
    return; // a syntax error, or the grammar's own recursion limit on hostile nesting
  }
  const statements = (Array.isArray(result.ast) ? result.ast : [result.ast]).filter(
    (s) => !isEmptyStatement(s),
  );
  if (!statements.every(isStatementNode)) return;
  const found = collect(statements);
  if (found === undefined) return;
  if (recordDialect && !acc.dialects.includes(dialect)) acc.dialects.push(dialect);
  acc.statementCount = Math.max(acc.statementCount, statements.length);
  for (const k of found.kinds) acc.kinds.add(k);
  for (const f of found.functions) acc.functions.add(f);
  for (const t of tableNames(result.tableList)) acc.tables.add(t);
  acc.writes ||= found.writes;
  acc.destructive ||= found.destructive;
  acc.unboundedWrite ||= found.unboundedWrite;
}

type Obj = { readonly [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmptyStatement(s: unknown): boolean {
  return s === null || s === undefined || (Array.isArray(s) && s.length === 0);
}

function isStatementNode(s: unknown): boolean {
  return isObj(s) && typeof s['type'] === 'string' && s['type'] !== '';
}

interface Found {
  kinds: string[];
  functions: string[];
  writes: boolean;
  destructive: boolean;
  unboundedWrite: boolean;
}

/** Walks the statements' ASTs (iteratively, bounded) and classifies every statement node found. */
function collect(statements: readonly unknown[]): Found | undefined {
  const found: Found = {
    kinds: [],
    functions: [],
    writes: false,
    destructive: false,
    unboundedWrite: false,
  };
  const stack: { node: unknown; depth: number; top: boolean }[] = statements
    .map((node) => ({ node, depth: 0, top: true }))
    .reverse();
  let visited = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    const { node, depth, top } = item;
    if (++visited > MAX_AST_NODES || depth > MAX_AST_DEPTH) return undefined;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--)
        stack.push({ node: node[i], depth: depth + 1, top: false });
      continue;
    }
    if (!isObj(node)) continue;
    const type = typeof node['type'] === 'string' ? node['type'].toLowerCase() : '';
    if (top) {
      classifyStatement(type, node, found);
    } else if (STATEMENT_KINDS.has(type) && type !== 'set' && type !== 'if') {
      classifyStatement(type, node, found); // nested statement, e.g. INSERT … SELECT or a T-SQL IF body
    }
    if (type === 'function' || type === 'aggr_func') {
      const name = functionName(node['name']);
      if (name !== '' && !found.functions.includes(name)) found.functions.push(name);
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      if (key === undefined || key === 'loc') continue;
      const child = node[key];
      if (typeof child === 'object' && child !== null)
        stack.push({ node: child, depth: depth + 1, top: false });
    }
  }
  return found;
}

function classifyStatement(type: string, node: Obj, found: Found): void {
  if (!found.kinds.includes(type)) found.kinds.push(type);
  if (type === 'select') {
    if (selectIntoTable(node)) found.writes = true;
    return;
  }
  if (!READ_KINDS.has(type)) found.writes = true;
  if (DESTRUCTIVE_KINDS.has(type)) found.destructive = true;
  if (type === 'create' && typeof node['replace'] === 'string' && node['replace'] !== '')
    found.destructive = true;
  if ((type === 'delete' || type === 'update') && rowIndependent(node['where'])) {
    found.unboundedWrite = true;
    found.destructive = true;
  }
}

/** `SELECT … INTO newtable` creates a table (PostgreSQL, T-SQL); `INTO @var` / `INTO OUTFILE` are not reads either. */
function selectIntoTable(node: Obj): boolean {
  const into = node['into'];
  if (!isObj(into)) return false;
  return (
    (into['expr'] !== undefined && into['expr'] !== null) ||
    (typeof into['type'] === 'string' && into['type'] !== '')
  );
}

/** True when a WHERE expression is absent or its truth cannot depend on the row. */
function rowIndependent(where: unknown): boolean {
  if (where === null || where === undefined) return true;
  return trivial(where, 0);
}

function trivial(expr: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (!hasColumnRef(expr, 0)) return true;
  if (!isObj(expr)) return false;
  const type = expr['type'];
  const op = typeof expr['operator'] === 'string' ? expr['operator'].toUpperCase() : '';
  if (type === 'binary_expr') {
    const left = expr['left'];
    const right = expr['right'];
    if (op === 'OR' || op === '||') return trivial(left, depth + 1) || trivial(right, depth + 1);
    if (op === 'AND' || op === '&&') return trivial(left, depth + 1) && trivial(right, depth + 1);
    if (['=', '==', '>=', '<=', '<=>', 'IS', 'IS NOT DISTINCT FROM'].includes(op))
      return sameTree(left, right);
    if ((op === 'LIKE' || op === 'ILIKE') && isObj(right)) {
      const v = right['value'];
      return typeof v === 'string' && v.length > 0 && /^%+$/.test(v);
    }
  }
  return false;
}

function hasColumnRef(expr: unknown, depth: number): boolean {
  if (depth > 128) return true; // too deep to judge: assume it depends on the row (not trivial)
  if (Array.isArray(expr)) return expr.some((e) => hasColumnRef(e, depth + 1));
  if (!isObj(expr)) return false;
  const type = expr['type'];
  // A column, a subquery or a function call may depend on the row or on data: not constant.
  if (type === 'column_ref' || type === 'select' || type === 'function' || type === 'aggr_func')
    return true;
  if (type === 'param' || type === 'var') return true; // bound at run time: unknown
  return Object.keys(expr).some((k) => k !== 'loc' && hasColumnRef(expr[k], depth + 1));
}

function sameTree(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function functionName(name: unknown): string {
  if (typeof name === 'string') return name.toLowerCase();
  if (!isObj(name) || !Array.isArray(name['name'])) return '';
  const parts: string[] = [];
  for (const part of name['name']) {
    if (isObj(part) && typeof part['value'] === 'string') parts.push(part['value'].toLowerCase());
  }
  return parts.join('.');
}

/** node-sql-parser reports tables as `kind::db::table`; we keep `db.table` or `table`, lower-cased. */
function tableNames(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') continue;
    const first = entry.indexOf('::');
    const second = first < 0 ? -1 : entry.indexOf('::', first + 2);
    if (second < 0) continue;
    const db = entry.slice(first + 2, second);
    const table = entry.slice(second + 2);
    if (table === '' || table === 'null') continue;
    out.push((db === '' || db === 'null' ? table : `${db}.${table}`).toLowerCase());
  }
  return out;
}

function hasExecutableComment(text: string): boolean {
  return text.includes('/*!') || text.includes('/*M!');
}

/**
 * The text as MySQL's lexer sees it, where it differs from node-sql-parser's MySQL grammar:
 * `/*!NNNNN code *\/` and `/*M!NNNNN code *\/` run `code` (MySQL manual, "Comments"), and `--` starts a
 * comment only when followed by whitespace or a control character, so `--1` is two minus signs.
 * Applied to the raw text, it may also rewrite the inside of string literals; that can only add
 * facts, since the original text is analyzed as well.
 */
function mysqlLexicalView(text: string): string {
  let out = text;
  if (hasExecutableComment(out)) {
    let result = '';
    let i = 0;
    while (i < out.length) {
      const start = out.startsWith('/*!', i) ? 3 : out.startsWith('/*M!', i) ? 4 : 0;
      if (start === 0) {
        result += out[i];
        i++;
        continue;
      }
      let j = i + start;
      while (
        j < out.length &&
        j < i + start + 6 &&
        out.charCodeAt(j) >= 48 &&
        out.charCodeAt(j) <= 57
      )
        j++;
      const end = out.indexOf('*/', j);
      if (end < 0) {
        result += ' ' + out.slice(j);
        break;
      }
      result += ' ' + out.slice(j, end) + ' ';
      i = end + 2;
    }
    out = result;
  }
  // `--` followed by a non-space, non-control character is not a comment in MySQL.
  return out.replace(/--(?=[^\s\p{Cc}])/gu, '- -');
}
