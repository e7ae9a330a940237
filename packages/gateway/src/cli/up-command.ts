// `zt4ai up`: runs the control plane (cli/run-control-plane.ts) until SIGINT/SIGTERM.
import { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { nonNegativeInteger } from './options.js';
import type { UpOptions } from './run-control-plane.js';

export function upCommand(): Command {
  return new Command('up')
    .description('run the control plane (HTTP API on 127.0.0.1:7300 by default)')
    .option('--host <host>', 'address to listen on')
    .option('--port <port>', 'port to listen on (0 picks a free one)', nonNegativeInteger('--port'))
    .option(
      '--demo',
      'run the demo: a fresh demo organization (in DATA_DIR/demo) with scripted agents in front of real MCP servers',
    )
    .option(
      '--allow-policy-rollback',
      'load a signed policy bundle older than the one in force (or renamed, or reusing its version with other contents); it becomes the bundle in force',
    )
    .option(
      '--dev-unsigned-policies',
      'DEVELOPMENT ONLY: accept a policy bundle without a valid signature',
    )
    .action(async (options: UpOptions, command: Command) => {
      // Loaded on use: the server's modules cost every other command nothing.
      const { runControlPlane } = await import('./run-control-plane.js');
      await runControlPlane(options, command.optsWithGlobals<GlobalOptions>());
    });
}
