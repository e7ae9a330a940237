// The reference upstream of the conformance runs: `@modelcontextprotocol/server-everything` in
// Streamable HTTP mode, in a child process on a free port, run with this Node. The suite is run
// against it directly and through the gateway, so both runs meet the same server.
import { type ChildProcess, spawn } from 'node:child_process';
import { EVERYTHING_SERVER, freePort } from './mcp-world.js';

export interface EverythingHttp {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  close(): Promise<void>;
}

/** server-everything over Streamable HTTP on a free port, run with this Node. */
export async function startEverythingHttp(): Promise<EverythingHttp> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await listening(child, `listening on port ${port}`);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function listening(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server-everything: no "${marker}"`)), 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited with ${String(code)}: ${seen}`));
    });
  });
}
