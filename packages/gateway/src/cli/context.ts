// Global options shared by every command, and opening the control plane they describe.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { type ControlPlane, openControlPlane } from '../server.js';
import { Output } from './output.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  json?: boolean;
  operator?: string;
}

/** The resolved configuration and output mode of the running command. */
export function commandContext(command: Command): { config: Config; output: Output } {
  const options = command.optsWithGlobals<GlobalOptions>();
  const config = loadConfig({
    flags: { config: options.config, dataDir: options.dataDir, databaseUrl: options.databaseUrl },
  });
  return { config, output: new Output(options.json === true) };
}

/** Runs `work` with an open control plane and always closes it afterwards. */
export async function withControlPlane<T>(
  config: Config,
  work: (plane: ControlPlane) => Promise<T>,
): Promise<T> {
  const plane = await openControlPlane(config);
  try {
    return await work(plane);
  } finally {
    await plane.close();
  }
}

/**
 * The operator a CLI command acts as (for approvals and the audit log): `--operator`, else
 * ZT4AI_OPERATOR, else the login name.
 */
export function cliActor(command: Command): string {
  const options = command.optsWithGlobals<GlobalOptions>();
  return options.operator ?? loadConfig({ flags: {} }).operator ?? userInfo().username;
}
