// Spawning the built zt4ai CLI (packages/gateway/dist/cli/main.js) and reading what it prints, for
// the end-to-end tests. Every data directory gets a known signing key, so runs are reproducible.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeVerifierKey, noteKeyId } from '@zt4ai/verify';

/** The built CLI; `npm test` builds it before vitest runs. */
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The default checkpoint origin (and key name) of a log. */
export const DEFAULT_ORIGIN = 'zt4ai.local/audit';

/** A fixed event time: entries carry the time they are given, so their bytes do not depend on now. */
export const FROZEN_TIME = '2025-01-02T03:04:05.000Z';

/** A stack frame as Node prints it; no error output may contain one. */
export const STACK_FRAME = '    at ';

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  /** The key file text: C2SP signer key `PRIVATE+KEY+name+keyid+base64(0x01||seed)`. */
  readonly text: string;
  /** The base64 key data (the part after the last fixed field). */
  readonly keyData: string;
  /** The verifier key the log must report for this signing key. */
  readonly vkey: string;
}

/** A deterministic Ed25519 signer key named `name`, derived from `label`. */
export function signingKey(label: string, name = DEFAULT_ORIGIN): SigningKey {
  const seed = createHash('sha256').update(label).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = Buffer.from(
    createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '',
    'base64url',
  );
  const keyId = Buffer.from(noteKeyId(name, publicKey)).toString('hex');
  const keyData = Buffer.concat([Buffer.from([0x01]), seed]).toString('base64');
  return {
    text: `PRIVATE+KEY+${name}+${keyId}+${keyData}`,
    keyData,
    vkey: encodeVerifierKey(name, publicKey),
  };
}

/** The signing key every fresh data dir gets (its base64 has no '+'; see `signingKey`). */
export const TEST_KEY = signingKey('zt4ai test key 0');

/** A fresh temp directory; remove it with `removeDir`. */
export function tempDir(prefix = 'zt4ai-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A fresh data dir holding `key` as its audit signing key (mode 0600, as the CLI requires); with
 * `null`, an empty dir in which the CLI creates its own key on first start.
 */
export function freshDataDir(key: SigningKey | null = TEST_KEY): string {
  const dir = tempDir();
  if (key !== null) writeFileSync(join(dir, 'audit-log.key'), `${key.text}\n`, { mode: 0o600 });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The parent's environment without any ZT4AI_* variable, so a developer's settings never leak in. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ZT4AI_')) env[key] = value;
  }
  return { ...env, ...extra };
}

export interface SpawnOptions {
  /** Working directory; defaults to a directory with no zt4ai.yaml (the OS temp dir). */
  readonly cwd?: string;
  /** Extra environment variables (on top of the cleaned parent environment). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts the CLI with `args`; the caller drives stdin and reads stdout/stderr. */
export function spawnCli(
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: cleanEnv(options.env),
    stdio: 'pipe',
  });
}

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions extends SpawnOptions {
  /** Written to stdin, which is then closed. */
  readonly input?: string | Buffer;
  /** Kill the process (SIGKILL) and fail when it runs longer than this. */
  readonly timeoutMs?: number;
}

/** Runs the CLI to completion and collects its output. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  child.stdin.on('error', () => undefined); // the CLI may exit before reading all of its input
  child.stdin.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`zt4ai ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout(), stderr: stderr() });
    });
  });
}

/** Accumulates a stream's text; call the returned function for what arrived so far. */
export function collect(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Splits output into its lines; the text must end with a newline (or be empty). */
export function lines(text: string): string[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`output does not end with a newline: ${text}`);
  return text.slice(0, -1).split('\n');
}

/** Parses every line of `text` as JSON (JSON lines). */
export function jsonLines(text: string): unknown[] {
  return lines(text).map((line) => JSON.parse(line) as unknown);
}

/** Calls `onLine` for every complete line the stream delivers. */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
}

/** Resolves with the exit code and signal of `child` once it has exited and its streams closed. */
export function exited(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** Resolves with `promise`, or rejects after `ms` with `what` in the message. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One event line as the tests append it: a `type`, a fixed `time`, and the given fields. */
export function event(type: string, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ type, time: FROZEN_TIME, ...fields });
}

/** A running `zt4ai up` and what it has logged so far. */
export interface RunningServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Base URL from Fastify's "Server listening at …" log line. */
  readonly url: string;
  /** Every stdout line so far, parsed as JSON (pino logs one object per line). */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** stderr so far. */
  stderr(): string;
}

/**
 * Starts `zt4ai up --port 0` on `dataDir` (with `flags` of `up`) and resolves once it is listening.
 * The port is read from the pino log line Fastify writes:
 * {"msg":"Server listening at http://127.0.0.1:PORT"}.
 */
export function startServer(
  dataDir: string,
  options: SpawnOptions = {},
  flags: readonly string[] = [],
): Promise<RunningServer> {
  const child = spawnCli(['up', '--port', '0', '--data-dir', dataDir, ...flags], options);
  const logs: Array<Record<string, unknown>> = [];
  const stderr = collect(child.stderr);
  return within(
    new Promise<RunningServer>((resolve, reject) => {
      onLines(child.stdout, (line) => {
        const log = JSON.parse(line) as Record<string, unknown>;
        logs.push(log);
        const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(log.msg));
        if (match !== null) resolve({ child, url: match[1] as string, logs, stderr });
      });
      child.on('close', (code) =>
        reject(new Error(`zt4ai up exited (${code}) before listening: ${stderr()}`)),
      );
    }),
    30_000,
    'zt4ai up',
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
}
