// A real zt4ai control plane for the SDK's end-to-end tests: the built CLI (`npm test` builds
// packages/gateway first) started on a free port, and the CLI run against the same data dir.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built gateway CLI. */
export const CLI_PATH = fileURLToPath(
  new URL('../../../gateway/dist/cli/main.js', import.meta.url),
);

export interface ControlPlane {
  /** Base URL, also the issuer URL (ZT4AI_ISSUER). */
  readonly issuer: string;
  readonly dataDir: string;
  /** Runs `zt4ai --data-dir <dataDir> …args --json` and parses its output. */
  cli(args: readonly string[]): Promise<unknown>;
  /** Kills the server and removes the data dir. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago: listen on 0, read the number, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The parent's environment without ZT4AI_* variables, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ZT4AI_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts `zt4ai up` on a fresh data dir and waits for /healthz. */
export async function startControlPlane(): Promise<ControlPlane> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-sdk-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [CLI_PATH, '--data-dir', dataDir, 'up', '--port', String(port)],
    { cwd: dataDir, env: cleanEnv({ ZT4AI_ISSUER: issuer }), stdio: 'pipe' },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout.resume();
  try {
    await waitForHealth(issuer, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    issuer,
    dataDir,
    cli: (args) => runCli(dataDir, args),
    stop: async () => {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitForHealth(
  issuer: string,
  child: ChildProcessWithoutNullStreams,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`zt4ai up exited: ${stderr()}`);
    try {
      const response = await fetch(`${issuer}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`zt4ai up did not become healthy: ${stderr()}`);
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

function runCli(dataDir: string, args: readonly string[]): Promise<unknown> {
  const child = spawn(process.execPath, [CLI_PATH, '--data-dir', dataDir, ...args, '--json'], {
    cwd: dataDir,
    env: cleanEnv(),
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`zt4ai ${args.join(' ')} exited ${code}: ${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as unknown);
      } catch {
        reject(new Error(`zt4ai ${args.join(' ')} printed no JSON: ${stdout}`));
      }
    });
  });
}

/** Writes `text` to a new file in `dir` and returns its path. */
export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
