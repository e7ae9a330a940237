// Step 4 of the pipeline (DESIGN §2): run the deterministic detectors over one call's arguments and
// fold their per-argument facts into the fixed-shape context the Cedar schema declares. Declared
// argument kinds come from the tool catalog; every string is also scanned conservatively.
import type { ArgKind } from '../detectors/detector.js';
import {
  detectEgress,
  type EgressFacts,
  type EgressPolicy,
  toolNameConfusable,
} from '../detectors/egress.js';
import type { SessionTaint } from '../detectors/labels.js';
import { detectPath, type PathFacts } from '../detectors/path.js';
import { detectPii } from '../detectors/pii.js';
import { collectStrings, detectSecrets, type ScannedString } from '../detectors/secrets.js';
import { detectShell, type ShellFacts, type ShellParser } from '../detectors/shell.js';
import { detectSql, type SqlDialect, type SqlFacts } from '../detectors/sql.js';
import { argumentKinds, type ToolConfig } from './tool-catalog.js';

export interface DetectionSettings {
  readonly egress: EgressPolicy;
  readonly pathRoots: readonly string[];
  readonly shell: ShellParser;
  /** Names of every known tool, to spot look-alikes. */
  readonly knownTools: readonly string[];
}

/** The context record of the Cedar schema (`CallContext`), without `granted`. */
export interface CallFacts {
  tool: {
    name: string;
    server: string;
    honeytoken: boolean;
    privileged: boolean;
    sink: string;
    confusable: boolean;
  };
  sql: {
    present: boolean;
    parseError: boolean;
    destructive: boolean;
    unboundedWrite: boolean;
    multipleStatements: boolean;
    kinds: string[];
  };
  shell: {
    present: boolean;
    parseError: boolean;
    dangerous: boolean;
    recursiveDeleteOfRoot: boolean;
    pipesDownloadToShell: boolean;
    reverseShell: boolean;
  };
  egress: {
    present: boolean;
    parseError: boolean;
    allowed: boolean;
    listed: boolean;
    cloudMetadata: boolean;
    userinfo: boolean;
    confusable: boolean;
    addressClasses: string[];
  };
  path: {
    present: boolean;
    parseError: boolean;
    allowed: boolean;
    escapesRoot: boolean;
    climbsAboveStart: boolean;
    encodedTraversal: boolean;
    nulByte: boolean;
  };
  secrets: { found: boolean; kinds: string[] };
  pii: { found: boolean; kinds: string[] };
  labels: { flowing: string[]; session: string[] };
}

const LOOKS_LIKE_URL = /^[a-zA-Z][a-zA-Z0-9+.-]{0,31}:\/\/|^\/\//;
// A NUL character or an encoded dot or NUL marks a string as a path to check.
const LOOKS_LIKE_TRAVERSAL = /(^|[\\/])\.\.([\\/]|$)|%2e|%252e|%c0%ae|%00/i;
const hasNul = (text: string): boolean => text.includes('\u0000');

/** Runs every detector over the call. Throws ZtError `detector-limit` on oversized input. */
export function detectCallFacts(
  tool: ToolConfig | undefined,
  toolName: string,
  args: unknown,
  session: SessionTaint | undefined,
  settings: DetectionSettings,
): CallFacts {
  const strings = collectStrings(args);
  const values = strings.filter((s) => !s.path.endsWith('#key'));
  const declared = argumentKinds(tool);
  const byKind = (kind: ArgKind): ScannedString[] =>
    values.filter((s) => declared[s.path.replace(/\[\d+\]/g, '')] === kind);
  const sqlArgs = byKind('sql');
  const urlArgs = union(
    byKind('url'),
    values.filter((s) => LOOKS_LIKE_URL.test(s.value)),
  );
  const pathArgs = union(
    byKind('path'),
    values.filter((s) => LOOKS_LIKE_TRAVERSAL.test(s.value) || hasNul(s.value)),
  );
  const commandArgs = byKind('command');
  const secrets = detectSecrets(strings);
  const pii = detectPii(values);
  const labels = session?.labelsFor(values);
  return {
    tool: {
      name: toolName,
      server: toolName.includes('/') ? (toolName.split('/')[0] as string) : '',
      honeytoken: tool?.honeytoken === true,
      privileged: tool?.privileged === true,
      sink: tool?.sink ?? 'external',
      confusable: toolNameConfusable(toolName, settings.knownTools),
    },
    sql: foldSql(sqlArgs.map((s) => cachedSql(s.value, tool?.sqlDialect))),
    shell: foldShell(commandArgs.map((s) => detectShell(s.value, settings.shell))),
    egress: foldEgress(urlArgs.map((s) => detectEgress(s.value, settings.egress))),
    path: foldPath(pathArgs.map((s) => detectPath(s.value, { roots: settings.pathRoots }))),
    secrets: { found: secrets.found, kinds: [...secrets.kinds] },
    pii: { found: pii.found, kinds: [...pii.kinds] },
    labels: { flowing: [...(labels?.labels ?? [])], session: session?.sessionLabels() ?? [] },
  };
}

/**
 * SQL facts are a pure function of (dialect, text), and parsing is the costliest detector, so the
 * facts of recent statements are kept (agents repeat their queries). Bounded; oldest out first.
 */
const SQL_CACHE_ENTRIES = 2048;
const SQL_CACHE_MAX_TEXT = 4096;
const sqlCache = new Map<string, SqlFacts>();

function cachedSql(text: string, dialect: SqlDialect | undefined): SqlFacts {
  const options = dialect === undefined ? {} : { dialects: [dialect] };
  if (text.length > SQL_CACHE_MAX_TEXT) return detectSql(text, options);
  const key = `${dialect ?? '*'}\n${text}`;
  const cached = sqlCache.get(key);
  if (cached !== undefined) return cached;
  const facts = detectSql(text, options);
  if (sqlCache.size >= SQL_CACHE_ENTRIES) sqlCache.delete(sqlCache.keys().next().value as string);
  sqlCache.set(key, facts);
  return facts;
}

function union(a: ScannedString[], b: ScannedString[]): ScannedString[] {
  const seen = new Set(a.map((s) => s.path));
  return [...a, ...b.filter((s) => !seen.has(s.path))];
}

const any = <T>(facts: readonly T[], pick: (f: T) => boolean): boolean => facts.some(pick);
const all = <T>(facts: readonly T[], pick: (f: T) => boolean): boolean => facts.every(pick);

function foldSql(facts: readonly SqlFacts[]): CallFacts['sql'] {
  return {
    present: facts.length > 0,
    parseError: any(facts, (f) => f.parseError),
    destructive: any(facts, (f) => f.destructive || f.executableComment),
    unboundedWrite: any(facts, (f) => f.unboundedWrite),
    multipleStatements: any(facts, (f) => f.multipleStatements),
    kinds: [...new Set(facts.flatMap((f) => f.statementKinds))].sort(),
  };
}

function foldShell(facts: readonly ShellFacts[]): CallFacts['shell'] {
  return {
    present: facts.length > 0,
    parseError: any(facts, (f) => f.parseError),
    dangerous: any(facts, (f) => f.dangerous || f.dynamicCommand),
    recursiveDeleteOfRoot: any(facts, (f) => f.recursiveDeleteOfRoot),
    pipesDownloadToShell: any(facts, (f) => f.pipesDownloadToShell),
    reverseShell: any(facts, (f) => f.reverseShell),
  };
}

function foldEgress(facts: readonly EgressFacts[]): CallFacts['egress'] {
  return {
    present: facts.length > 0,
    parseError: any(facts, (f) => f.parseError),
    allowed: all(facts, (f) => f.allowed && !f.parseError && !f.confusable),
    listed: all(facts, (f) => f.listed),
    cloudMetadata: any(facts, (f) => f.cloudMetadata),
    userinfo: any(facts, (f) => f.userinfo),
    confusable: any(facts, (f) => f.confusable),
    addressClasses: [...new Set(facts.map((f) => f.addressClass))].sort(),
  };
}

function foldPath(facts: readonly PathFacts[]): CallFacts['path'] {
  return {
    present: facts.length > 0,
    parseError: any(facts, (f) => f.parseError),
    allowed: all(facts, (f) => f.allowed),
    escapesRoot: any(facts, (f) => f.escapesRoot),
    climbsAboveStart: any(facts, (f) => f.climbsAboveStart),
    encodedTraversal: any(facts, (f) => f.encodedTraversal),
    nulByte: any(facts, (f) => f.nulByte),
  };
}
