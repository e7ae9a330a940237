// Shell-command facts from a real Bash grammar (tree-sitter-bash via web-tree-sitter), so quoting, substitutions, pipelines and `sh -c` strings are seen as the shell sees them (DESIGN §6).
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import type { Node as SyntaxNode, Tree } from 'web-tree-sitter';
import { ZtError } from '../errors.js';

/**
 * Facts about one shell command line. Plain Cedar-friendly data: booleans and arrays of strings.
 */
export type ShellFacts = {
  /**
   * The grammar could not parse the text (or a nested `sh -c` / `eval` string), or nesting went
   * deeper than {@link MAX_SHELL_NESTING}. The baseline policy denies on it.
   */
  readonly parseError: boolean;
  /**
   * Program names run, as basenames in order of first appearance, including inside pipelines,
   * lists, subshells, `$(…)`, backticks, process substitutions, behind wrappers (`sudo`, `env`,
   * `xargs`, `timeout`, …) and inside `sh -c`/`bash -c`/`eval` strings.
   */
  readonly commands: readonly string[];
  /** Some program name is computed at run time (`$cmd -rf /`, `$(echo rm) …`), so `commands` is incomplete. */
  readonly dynamicCommand: boolean;
  /**
   * A recursive delete of `/`, `/*`, a top-level system directory, or the home directory
   * (`~`, `$HOME`, `${HOME}`), or of `$VAR/` / `$VAR/*` (empty VAR means `/`): `rm` with `-r`/`-R`/
   * `--recursive` in any spelling, or `find <such path> … -delete | -exec rm …`.
   */
  readonly recursiveDeleteOfRoot: boolean;
  /**
   * Downloaded content is run as code: a downloader (`curl`, `wget`, …) piped into an interpreter
   * (`sh`, `bash`, `python`, …) later in the pipeline, an interpreter fed by `<(curl …)`,
   * `<<< "$(curl …)"` or `"$(curl …)"` (`bash <(curl …)`, `sh -c "$(curl …)"`, `eval "$(curl …)"`),
   * or a command whose name is `$(curl …)`.
   */
  readonly pipesDownloadToShell: boolean;
  /**
   * A reverse-shell pattern: a redirect to `/dev/tcp/` or `/dev/udp/`; `nc`/`ncat`/`netcat` with
   * `-e`/`-c`/`--exec`/`--sh-exec`; `socat` with `EXEC:`/`SYSTEM:`; a network client and a shell in
   * one pipeline; `mkfifo`/`mknod` together with a network client; a `python`/`perl`/`ruby`/`php`/
   * `node` code argument that mentions both a socket and process execution (a substring test on
   * that other language's code); `awk` code using `/inet/tcp` or `/inet/udp`.
   */
  readonly reverseShell: boolean;
  /** `recursiveDeleteOfRoot || pipesDownloadToShell || reverseShell`. */
  readonly dangerous: boolean;
};

/** A loaded Bash grammar; obtain one with {@link loadShellParser} and share it. */
export interface ShellParser {
  /** @internal */
  readonly parser: Parser;
}

/** Largest command accepted, in UTF-16 code units; longer input is a `detector-limit` error. */
export const MAX_SHELL_LENGTH = 64 * 1024;
/** How many levels of `sh -c` / `eval` / `echo … | sh` strings are parsed; deeper is a parse error. */
export const MAX_SHELL_NESTING = 4;
/** Bound on syntax nodes visited per top-level call (all nesting levels together). */
const MAX_NODES = 500_000;

let loading: Promise<ShellParser> | undefined;

/**
 * Loads the tree-sitter Bash grammar (WASM) once per process; later calls return the same parser.
 * This is the only asynchronous and I/O step: it reads `tree-sitter-bash.wasm` from node_modules.
 * MUST be awaited once at startup before {@link detectShell} is used.
 */
export function loadShellParser(): Promise<ShellParser> {
  loading ??= (async () => {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(wasm);
    const parser = new Parser();
    parser.setLanguage(language);
    return { parser };
  })();
  loading.catch(() => {
    loading = undefined; // let a later call retry
  });
  return loading;
}

/**
 * Classifies one shell command line. Synchronous, deterministic and free of I/O once the parser
 * is loaded. Never throws on hostile input: what cannot be parsed becomes `parseError: true`.
 *
 * The text is analysed as Bash (a superset of POSIX sh for these purposes). Words are evaluated
 * statically: quotes and backslashes are removed (`r\m` is `rm`, `'rm'` is `rm`); expansions stay
 * symbolic (`$HOME`). Not seen: what a script file run by name does, aliases and functions
 * defined elsewhere, and data-dependent expansions (`rm -rf "$DIR"` with DIR unknown).
 *
 * @throws ZtError `detector-limit` when `command` is longer than {@link MAX_SHELL_LENGTH}.
 * @throws TypeError when `command` is not a string (caller misuse).
 */
export function detectShell(command: string, shell: ShellParser): ShellFacts {
  if (typeof command !== 'string') throw new TypeError('detectShell: command must be a string');
  if (command.length > MAX_SHELL_LENGTH) {
    throw new ZtError('detector-limit', 'shell command exceeds the detector size limit', {
      detail: { limit: MAX_SHELL_LENGTH },
    });
  }
  const acc: Acc = {
    parser: shell.parser,
    visited: 0,
    parseError: false,
    commands: [],
    dynamicCommand: false,
    recursiveDeleteOfRoot: false,
    pipesDownloadToShell: false,
    reverseShell: false,
    mkfifo: false,
    networkClient: false,
  };
  analyzeScript(command, 0, acc);
  if (acc.mkfifo && acc.networkClient) acc.reverseShell = true;
  return {
    parseError: acc.parseError,
    commands: acc.commands,
    dynamicCommand: acc.dynamicCommand,
    recursiveDeleteOfRoot: acc.recursiveDeleteOfRoot,
    pipesDownloadToShell: acc.pipesDownloadToShell,
    reverseShell: acc.reverseShell,
    dangerous: acc.recursiveDeleteOfRoot || acc.pipesDownloadToShell || acc.reverseShell,
  };
}

interface Acc {
  readonly parser: Parser;
  visited: number;
  parseError: boolean;
  commands: string[];
  dynamicCommand: boolean;
  recursiveDeleteOfRoot: boolean;
  pipesDownloadToShell: boolean;
  reverseShell: boolean;
  mkfifo: boolean;
  networkClient: boolean;
}

const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'mksh',
  'ash',
  'fish',
  'csh',
  'tcsh',
  'yash',
  'rbash',
]);
const DOWNLOADERS: ReadonlySet<string> = new Set([
  'curl',
  'wget',
  'fetch',
  'aria2c',
  'lwp-request',
  'lwp-download',
  'get',
  'http',
  'https',
  'xh',
  'ftp',
  'tftp',
]);
const NETWORK_CLIENTS: ReadonlySet<string> = new Set([
  'nc',
  'ncat',
  'netcat',
  'nc.traditional',
  'nc.openbsd',
  'telnet',
  'socat',
  'openssl',
  'cryptcat',
]);
const NETCATS: ReadonlySet<string> = new Set([
  'nc',
  'ncat',
  'netcat',
  'nc.traditional',
  'nc.openbsd',
  'cryptcat',
]);
const SCRIPT_INTERPRETERS =
  /^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|node|nodejs|deno|bun|lua[0-9.]*|tclsh|pwsh|powershell|osascript)$/;
/** Programs that run their argument words as another command. */
const WRAPPERS: ReadonlySet<string> = new Set([
  'sudo',
  'doas',
  'env',
  'nice',
  'nohup',
  'time',
  'timeout',
  'command',
  'builtin',
  'exec',
  'stdbuf',
  'ionice',
  'setsid',
  'xargs',
  'busybox',
  'unbuffer',
  'chronic',
  'watch',
  'strace',
  'ltrace',
]);
/** Options of wrappers that take a separate argument word. */
const WRAPPER_OPTION_ARGS: Readonly<Record<string, ReadonlySet<string>>> = {
  sudo: new Set([
    '-u',
    '-g',
    '-h',
    '-p',
    '-C',
    '-D',
    '-r',
    '-t',
    '-U',
    '-T',
    '--user',
    '--group',
    '--host',
    '--prompt',
    '--chdir',
  ]),
  doas: new Set(['-u', '-C']),
  env: new Set(['-u', '-C', '--unset', '--chdir']),
  nice: new Set(['-n', '--adjustment']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  stdbuf: new Set(['-i', '-o', '-e']),
  ionice: new Set(['-c', '-n', '-p']),
  xargs: new Set([
    '-I',
    '-n',
    '-P',
    '-d',
    '-L',
    '-s',
    '-E',
    '-a',
    '--delimiter',
    '--max-args',
    '--max-procs',
    '--arg-file',
  ]),
  watch: new Set(['-n', '-d', '--interval']),
  strace: new Set(['-e', '-o', '-p', '-s', '-u']),
  ltrace: new Set(['-e', '-o', '-p', '-s', '-u']),
};
/** Top-level directories whose recursive deletion is as bad as deleting `/`. */
const SYSTEM_DIRS: ReadonlySet<string> = new Set([
  'bin',
  'boot',
  'dev',
  'etc',
  'home',
  'lib',
  'lib32',
  'lib64',
  'opt',
  'proc',
  'root',
  'sbin',
  'srv',
  'sys',
  'usr',
  'var',
  'users',
  'system',
  'library',
  'applications',
]);

/** A word evaluated statically: quotes and escapes removed, expansions kept as their source text. */
interface WordValue {
  readonly text: string;
  readonly dynamic: boolean;
}

/** One simple command after wrappers are peeled off: its name and its argument words. */
interface Invocation {
  readonly name: string;
  readonly args: readonly WordValue[];
  readonly argNodes: readonly SyntaxNode[];
}

function analyzeScript(text: string, depth: number, acc: Acc): void {
  if (depth >= MAX_SHELL_NESTING) {
    acc.parseError = true;
    return;
  }
  let tree: Tree | null = null;
  try {
    tree = acc.parser.parse(text);
    if (tree === null) {
      acc.parseError = true;
      return;
    }
    if (tree.rootNode.hasError) acc.parseError = true;
    analyzeTree(tree, text, depth, acc);
  } catch {
    acc.parseError = true; // a WASM-side failure (e.g. out of memory) is a fact, not a crash
  } finally {
    tree?.delete();
  }
}

/** Bits of what a subtree runs, propagated bottom-up so each check is O(1) per node. */
const RUNS_DOWNLOADER = 1;
const RUNS_INTERPRETER = 2;
const RUNS_SHELL = 4;
const RUNS_NETWORK_CLIENT = 8;

/** One syntax node in pre-order; `node` is materialized only for the node types the checks read. */
interface Flat {
  readonly id: number;
  readonly type: string;
  readonly parent: number;
  readonly node: SyntaxNode | undefined;
  runs: number;
  /** Some `$(…)`, backtick or `<(…)` at or below this node runs a downloader. */
  downloadingSubstitution: boolean;
}

const MATERIALIZED: ReadonlySet<string> = new Set([
  'command',
  'pipeline',
  'file_redirect',
  'herestring_redirect',
]);
const SUBSTITUTIONS: ReadonlySet<string> = new Set([
  'command_substitution',
  'process_substitution',
]);

/**
 * Three linear passes over the tree: flatten it with a cursor (no recursion, so hostile nesting
 * cannot overflow the stack), check each command and redirect, then propagate facts bottom-up for
 * the checks that need to know what a subtree runs (pipelines, interpreters fed by substitutions).
 */
function analyzeTree(tree: Tree, source: string, depth: number, acc: Acc): void {
  const flat = flatten(tree, acc);
  if (flat === undefined) return;
  const index = new Map<number, number>();
  flat.forEach((f, i) => index.set(f.id, i));
  const invocations = new Map<number, Invocation[]>();
  const interpreterInputs: SyntaxNode[][] = [];
  const dynamicNames: SyntaxNode[] = [];
  for (const f of flat) {
    if (f.node === undefined) continue;
    if (f.type === 'command') {
      const result = analyzeCommand(f.node, source, depth, acc);
      invocations.set(f.id, result.invocations);
      f.runs = runsBits(result.invocations);
      if (result.interpreterInputs !== undefined) interpreterInputs.push(result.interpreterInputs);
      if (result.dynamicName !== undefined) dynamicNames.push(result.dynamicName);
    } else if (f.type === 'file_redirect' || f.type === 'herestring_redirect') {
      const dest = f.node.childForFieldName('destination') ?? f.node.lastNamedChild;
      if (dest !== null && /^\/dev\/(tcp|udp)\//.test(wordValue(dest, source).text))
        acc.reverseShell = true;
    }
  }
  for (let i = flat.length - 1; i >= 0; i--) {
    const f = flat[i];
    if (f === undefined) continue;
    if (SUBSTITUTIONS.has(f.type) && (f.runs & RUNS_DOWNLOADER) !== 0)
      f.downloadingSubstitution = true;
    const parent = flat[f.parent];
    if (f.parent >= 0 && parent !== undefined) {
      parent.runs |= f.runs;
      parent.downloadingSubstitution ||= f.downloadingSubstitution;
    }
  }
  const downloading = (n: SyntaxNode): boolean =>
    flat[index.get(n.id) ?? -1]?.downloadingSubstitution === true;
  // `bash <(curl …)`, `sh -c "$(curl …)"`, `sh <<< "$(curl …)"`, `source <(curl …)`
  if (interpreterInputs.some((inputs) => inputs.some(downloading))) acc.pipesDownloadToShell = true;
  // `$(curl …)` run as a command
  if (dynamicNames.some(downloading)) acc.pipesDownloadToShell = true;
  for (const f of flat) {
    if (f.type === 'pipeline' && f.node !== undefined)
      analyzePipeline(f.node, flat, index, invocations, depth, acc);
  }
}

function flatten(tree: Tree, acc: Acc): Flat[] | undefined {
  const flat: Flat[] = [];
  const ancestors: number[] = [];
  const cursor = tree.walk();
  try {
    for (;;) {
      if (++acc.visited > MAX_NODES) {
        acc.parseError = true;
        return undefined;
      }
      const type = cursor.nodeType;
      flat.push({
        id: cursor.nodeId,
        type,
        parent: ancestors[ancestors.length - 1] ?? -1,
        node: MATERIALIZED.has(type) ? cursor.currentNode : undefined,
        runs: 0,
        downloadingSubstitution: false,
      });
      if (cursor.gotoFirstChild()) {
        ancestors.push(flat.length - 1);
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return flat;
        ancestors.pop();
      }
    }
  } finally {
    cursor.delete();
  }
}

function runsBits(invocations: readonly Invocation[]): number {
  let bits = 0;
  for (const inv of invocations) {
    const name = basename(inv.name);
    if (DOWNLOADERS.has(name)) bits |= RUNS_DOWNLOADER;
    if (isInterpreter(name)) bits |= RUNS_INTERPRETER;
    if (SHELLS.has(name)) bits |= RUNS_SHELL;
    if (NETWORK_CLIENTS.has(name)) bits |= RUNS_NETWORK_CLIENT;
  }
  return bits;
}

interface CommandResult {
  readonly invocations: Invocation[];
  /** Argument and redirect nodes of an interpreter, whose substitutions feed it code. */
  readonly interpreterInputs?: SyntaxNode[];
  /** The name node of a command whose name is computed at run time. */
  readonly dynamicName?: SyntaxNode;
}

/** Records the command's names and applies the command-level checks. */
function analyzeCommand(node: SyntaxNode, source: string, depth: number, acc: Acc): CommandResult {
  const nameNode = node.childForFieldName('name');
  if (nameNode === null) return { invocations: [] };
  const argNodes = node.childrenForFieldName('argument');
  const name = wordValue(nameNode, source);
  if (name.dynamic) {
    acc.dynamicCommand = true;
    return { invocations: [], dynamicName: nameNode };
  }
  const args = argNodes.map((a) => wordValue(a, source));
  const invocations = peelWrappers({ name: name.text, args, argNodes }, acc);
  for (const inv of invocations) {
    const base = basename(inv.name);
    if (!acc.commands.includes(base)) acc.commands.push(base);
  }
  const inner = invocations[invocations.length - 1];
  if (inner === undefined) return { invocations };
  checkInvocation(inner, depth, acc);
  return isInterpreter(basename(inner.name))
    ? { invocations, interpreterInputs: [...inner.argNodes, ...redirectsOf(node)] }
    : { invocations };
}

/** `sudo -u root env X=1 rm -rf /` → [sudo …, env …, rm -rf /]; a dynamic inner name sets dynamicCommand. */
function peelWrappers(first: Invocation, acc: Acc): Invocation[] {
  const chain: Invocation[] = [first];
  let current = first;
  while (WRAPPERS.has(basename(current.name)) && chain.length < 16) {
    const wrapper = basename(current.name);
    const takesArg = WRAPPER_OPTION_ARGS[wrapper];
    let i = 0;
    let positional = 0;
    while (i < current.args.length) {
      const arg = current.args[i];
      if (arg === undefined) break;
      if (arg.text === '--') {
        i++;
        break;
      }
      if (arg.text.startsWith('-') && arg.text.length > 1) {
        i += takesArg?.has(arg.text) === true ? 2 : 1;
        continue;
      }
      if (wrapper === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg.text)) {
        i++;
        continue;
      }
      if (wrapper === 'timeout' && positional === 0) {
        positional++;
        i++; // the duration
        continue;
      }
      break;
    }
    const next = current.args[i];
    if (next === undefined) break;
    if (next.dynamic) {
      acc.dynamicCommand = true;
      break;
    }
    current = {
      name: next.text,
      args: current.args.slice(i + 1),
      argNodes: current.argNodes.slice(i + 1),
    };
    chain.push(current);
  }
  return chain;
}

function checkInvocation(inv: Invocation, depth: number, acc: Acc): void {
  const name = basename(inv.name);
  const words = inv.args.map((a) => a.text);
  if (name === 'rm' && rmDeletesRoot(words)) acc.recursiveDeleteOfRoot = true;
  if (name === 'find' && findDeletesRoot(words)) acc.recursiveDeleteOfRoot = true;
  if (name === 'mkfifo' || (name === 'mknod' && words.includes('p'))) acc.mkfifo = true;
  if (NETWORK_CLIENTS.has(name)) acc.networkClient = true;
  if (NETCATS.has(name) && words.some(isNetcatExec)) acc.reverseShell = true;
  if (
    name === 'socat' &&
    words.some((w) => /^(exec|system):/i.test(w) || /,(exec|system):/i.test(w))
  )
    acc.reverseShell = true;
  if (SCRIPT_INTERPRETERS.test(name) && codeOpensSocketAndRuns(words.join(' ')))
    acc.reverseShell = true;
  if ((name === 'awk' || name === 'gawk') && words.some((w) => /\/inet[46]?\/(tcp|udp)\//.test(w)))
    acc.reverseShell = true;
  if (SHELLS.has(name) || name === 'su') {
    const script = dashCScript(inv.args);
    if (script !== undefined) analyzeScript(script.text, depth + 1, acc);
  }
  if (name === 'eval' && inv.args.length > 0) analyzeScript(words.join(' '), depth + 1, acc);
}

/** A pipeline runs downloaded or echoed text when a later stage is an interpreter. */
function analyzePipeline(
  pipeline: SyntaxNode,
  flat: readonly Flat[],
  index: ReadonlyMap<number, number>,
  invocations: ReadonlyMap<number, Invocation[]>,
  depth: number,
  acc: Acc,
): void {
  const stages = pipeline.namedChildren.filter(
    (n): n is SyntaxNode => n !== null && n.type !== 'comment',
  );
  const runs = stages.map((stage) => flat[index.get(stage.id) ?? -1]?.runs ?? 0);
  stages.forEach((stage, i) => {
    const later = runs.slice(i + 1).reduce((a, b) => a | b, 0);
    const others = runs.reduce((a, b, j) => (j === i ? a : a | b), 0);
    const own = runs[i] ?? 0;
    if ((own & RUNS_DOWNLOADER) !== 0 && (later & RUNS_INTERPRETER) !== 0)
      acc.pipesDownloadToShell = true;
    if ((own & RUNS_NETWORK_CLIENT) !== 0 && (others & RUNS_SHELL) !== 0) acc.reverseShell = true;
    if ((later & RUNS_SHELL) === 0) return;
    // `echo 'rm -rf /' | sh`: the echoed text is a script.
    const command = stage.type === 'redirected_statement' ? stage.childForFieldName('body') : stage;
    for (const inv of command === null ? [] : (invocations.get(command.id) ?? [])) {
      const base = basename(inv.name);
      if (base !== 'echo' && base !== 'printf') continue;
      const words = inv.args.filter((a) => !/^-[neE]+$/.test(a.text)).map((a) => a.text);
      analyzeScript(words.join(' '), depth + 1, acc);
    }
  });
}

function isInterpreter(name: string): boolean {
  return (
    SHELLS.has(name) ||
    SCRIPT_INTERPRETERS.test(name) ||
    name === 'source' ||
    name === '.' ||
    name === 'eval'
  );
}

/** Redirects attached to a command, directly or through its enclosing `redirected_statement`. */
function redirectsOf(command: SyntaxNode): SyntaxNode[] {
  const own = command.childrenForFieldName('redirect');
  const parent = command.parent;
  const outer =
    parent !== null && parent.type === 'redirected_statement'
      ? parent.childrenForFieldName('redirect')
      : [];
  return [...own, ...outer].filter((n): n is SyntaxNode => n !== null);
}

/** The script of `sh -c SCRIPT`, `bash -lc SCRIPT`, `su -c SCRIPT`, if any. */
function dashCScript(args: readonly WordValue[]): WordValue | undefined {
  for (let i = 0; i < args.length; i++) {
    const text = args[i]?.text ?? '';
    if (text === '--command' || (/^-[A-Za-z]+$/.test(text) && text.includes('c'))) {
      for (let j = i + 1; j < args.length; j++) {
        const next = args[j];
        if (next !== undefined && !(next.text.startsWith('-') && next.text.length > 1)) return next;
      }
      return undefined;
    }
    if (text.startsWith('--command='))
      return { text: text.slice('--command='.length), dynamic: args[i]?.dynamic ?? false };
  }
  return undefined;
}

function rmDeletesRoot(words: readonly string[]): boolean {
  let recursive = false;
  const operands: string[] = [];
  let endOfOptions = false;
  for (const w of words) {
    if (!endOfOptions && w === '--') {
      endOfOptions = true;
    } else if (!endOfOptions && w.startsWith('--')) {
      if (w === '--recursive') recursive = true;
    } else if (!endOfOptions && w.startsWith('-') && w.length > 1) {
      if (/[rR]/.test(w.slice(1))) recursive = true;
    } else {
      operands.push(w);
    }
  }
  return recursive && operands.some(isRootLike);
}

function findDeletesRoot(words: readonly string[]): boolean {
  const starts: string[] = [];
  let i = 0;
  while (i < words.length && /^-[HLP]$|^-O\d?$|^-D$/.test(words[i] ?? '')) i++;
  for (; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w.startsWith('-') || w === '(' || w === '!' || w === '\\(') break;
    starts.push(w);
  }
  const expr = words.slice(i);
  const deletes =
    expr.includes('-delete') ||
    expr.some(
      (w, j) =>
        ['-exec', '-execdir', '-ok', '-okdir'].includes(w) &&
        ['rm', 'shred', 'unlink'].includes(basename(expr[j + 1] ?? '')),
    );
  return deletes && starts.some(isRootLike);
}

/** `/`, `//`, `/.`, `/*`, `/..`, `/usr`, `~`, `~/`, `~/*`, `$HOME`, `${HOME}/*`, `$X/`, `$X/*`. */
function isRootLike(path: string): boolean {
  let rest: string;
  let home = false;
  const homeMatch = /^(~|\$HOME\b|\$\{HOME\})(.*)$/.exec(path);
  const varMatch = /^(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})(\/.*)$/.exec(path);
  if (homeMatch !== null) {
    home = true;
    rest = homeMatch[2] ?? '';
    if (rest !== '' && !rest.startsWith('/')) return false; // `~user/x` or `$HOMEDIR`
  } else if (varMatch !== null) {
    rest = varMatch[2] ?? ''; // `$X/…`: with X empty this is an absolute path
  } else if (path.startsWith('/')) {
    rest = path;
  } else {
    return false;
  }
  const segments: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  if (segments.length === 0) return true;
  if (segments.length !== 1) return false;
  const only = segments[0] ?? '';
  if (/^[*?.[\]!]+$/.test(only) && /[*?]/.test(only)) return true; // `/*`, `/.*`, `~/*`
  return !home && SYSTEM_DIRS.has(only.toLowerCase());
}

function isNetcatExec(w: string): boolean {
  if (w === '--exec' || w === '--sh-exec' || w === '--lua-exec' || /^--(sh-|lua-)?exec=/.test(w))
    return true;
  return /^-[A-Za-z]*[ec][A-Za-z]*$/.test(w);
}

function codeOpensSocketAndRuns(code: string): boolean {
  const c = code.toLowerCase();
  const socket = /socket|fsockopen|tcpsocket|net\.connect|createconnection|net::|io::socket/.test(
    c,
  );
  const runs =
    /subprocess|pty\.spawn|dup2|exec|spawn|system\(|popen|proc_open|child_process|\/bin\/(ba)?sh|cmd\.exe/.test(
      c,
    );
  return socket && runs;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return (i >= 0 ? path.slice(i + 1) : path).toLowerCase();
}

/** Evaluates a word node statically (see {@link WordValue}); text comes from `source` slices, not copies per node. */
function wordValue(node: SyntaxNode, source: string): WordValue {
  const raw = source.slice(node.startIndex, node.endIndex);
  switch (node.type) {
    case 'word':
    case 'number':
      return { text: unescapeUnquoted(raw), dynamic: false };
    case 'raw_string':
      return {
        text: raw.slice(1, raw.endsWith("'") && raw.length > 1 ? -1 : undefined),
        dynamic: false,
      };
    case 'ansi_c_string':
      return {
        text: decodeAnsiC(raw.slice(2, raw.endsWith("'") && raw.length > 2 ? -1 : undefined)),
        dynamic: false,
      };
    case 'string':
    case 'translated_string':
    case 'concatenation':
    case 'command_name': {
      let text = '';
      let dynamic = false;
      for (const child of node.children) {
        if (child === null || child.type === '"' || child.type === '$"') continue;
        if (child.type === 'string_content') {
          text += unescapeDoubleQuoted(source.slice(child.startIndex, child.endIndex));
          continue;
        }
        const v = wordValue(child, source);
        text += v.text;
        dynamic ||= v.dynamic;
      }
      return { text, dynamic };
    }
    case 'simple_expansion':
    case 'expansion':
    case 'command_substitution':
    case 'process_substitution':
    case 'arithmetic_expansion':
      return { text: raw, dynamic: true };
    default:
      // Anything else (brace expressions, extglobs, future node types): keep the source, dynamic if it has structure.
      return { text: raw, dynamic: node.namedChildCount > 0 };
  }
}

function unescapeUnquoted(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Bash `$'…'` escapes (bash manual, "ANSI-C Quoting"). */
function decodeAnsiC(body: string): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs,
    (_m, esc: string) => {
      const head = esc[0] ?? '';
      if (head === 'x' || head === 'u' || head === 'U')
        return safeCodePoint(parseInt(esc.slice(1), 16));
      if (/^[0-7]/.test(esc)) return safeCodePoint(parseInt(esc, 8));
      if (head === 'c') return safeCodePoint((esc.charCodeAt(1) || 0) & 0x1f);
      return ANSI_C_ESCAPES[esc] ?? '\\' + esc;
    },
  );
}

function safeCodePoint(n: number): string {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
}
