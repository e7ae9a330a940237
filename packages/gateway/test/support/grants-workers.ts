// Spawns grant-worker.mjs (a gateway process built from dist/) and drives it: wait until it is
// ready, release it with "go", read its one-line JSON result.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const GRANT_WORKER = fileURLToPath(new URL('./grant-worker.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/grants/grant-service.js', import.meta.url));

export interface WorkerInput {
  readonly url: string;
  readonly schema: string;
  readonly mode: 'consume' | 'guard';
  readonly agent: string;
  readonly tool: string;
  readonly args: unknown;
  readonly count: number;
  /** The frozen instant the worker's clock shows (ISO). */
  readonly now: string;
  /** For mode "guard": the audit log's key, master key (hex), tools and detection settings. */
  readonly signer?: { readonly path: string; readonly origin: string };
  readonly masterKey?: string;
  readonly tools?: unknown;
  readonly detection?: unknown;
}

export interface WorkerResult {
  readonly allowed: number;
  readonly denied: number;
  readonly reasons: Record<string, number>;
  readonly ms: number;
}

export interface GrantWorker {
  /** Resolves once the worker opened its store and waits for the start signal. */
  readonly ready: Promise<void>;
  readonly result: Promise<WorkerResult>;
  go(): void;
  kill(): void;
}

export function startGrantWorker(input: WorkerInput): GrantWorker {
  if (!existsSync(BUILT))
    throw new Error(`${BUILT} is missing: run "npm run build" before the grant tests`);
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [GRANT_WORKER, JSON.stringify(input)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) => {
    // 'close' comes after stdout ended, so every line the worker printed was read before it.
    child.on('close', (code, signal) =>
      reject(new Error(`grant worker exited (${code ?? signal}) early: ${stderr.trim()}`)),
    );
    child.on('error', reject);
  });
  exited.catch(() => undefined);
  const nextLine = async (): Promise<string> => {
    const next = await Promise.race([iterator.next(), exited]);
    if (next.done === true) return exited;
    return next.value;
  };
  const ready = nextLine().then((line) => {
    if (line !== 'ready') throw new Error(`grant worker said "${line}": ${stderr.trim()}`);
  });
  const result = ready.then(async () => JSON.parse(await nextLine()) as WorkerResult);
  ready.catch(() => undefined);
  result.catch(() => undefined);
  return {
    ready,
    result,
    go: () => child.stdin.write('go\n'),
    kill: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
