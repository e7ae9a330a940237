#!/usr/bin/env node
// The zt4ai command line: global options, command groups, and the one place errors are printed.
import { Command, CommanderError } from 'commander';
import { ZtError, toZtError } from '../errors.js';
import { exitCodeFor, Output } from './output.js';

/**
 * Each command group and how to load it. Only the group being run is loaded (all of them for
 * help or an unknown command): a command that reads the log does not load the MCP SDK or the
 * policy engine.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  up: async () => (await import('./up-command.js')).upCommand(),
  audit: async () => (await import('./audit-command.js')).auditCommand(),
  mission: async () => (await import('./mission-command.js')).missionCommand(),
  agent: async () => (await import('./agent-command.js')).agentCommand(),
  cert: async () => (await import('./cert-command.js')).certCommand(),
  keys: async () => (await import('./keys-command.js')).keysCommand(),
  policy: async () => (await import('./policy-command.js')).policyCommand(),
  grant: async () => (await import('./grant-command.js')).grantCommand(),
  tool: async () => (await import('./tool-command.js')).toolCommand(),
  'mcp-proxy': async () => (await import('./mcp-proxy-command.js')).mcpProxyCommand(),
  incident: async () => (await import('./incident-command.js')).incidentCommand(),
  'kill-switch': async () => (await import('./incident-command.js')).killSwitchCommand(),
  operator: async () => (await import('./grant-command.js')).operatorCommand(),
};
/** Global options that take a value (the value is not a command name). */
const VALUED_OPTIONS = new Set(['--config', '--data-dir', '--database-url', '--operator']);

/** The command group `argv` runs, if it names a known one. */
function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (VALUED_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
  }
  return undefined;
}

async function program(argv: readonly string[]): Promise<Command> {
  const named = commandNamed(argv);
  const groups = await Promise.all(
    (named === undefined
      ? Object.values(COMMANDS)
      : [COMMANDS[named] as () => Promise<Command>]
    ).map((load) => load()),
  );
  const root = new Command('zt4ai')
    .description('zt4ai — Zero Trust control plane for AI agents')
    .option('--config <file>', 'configuration file (default: ./zt4ai.yaml when present)')
    .option('--data-dir <dir>', 'data directory for the embedded SQLite store (default: ./.zt4ai)')
    .option('--database-url <url>', 'PostgreSQL connection URL (instead of SQLite)')
    .option('--json', 'print one JSON object per result (JSON lines for streams)')
    .option(
      '--operator <name>',
      'the operator this command acts as (default: ZT4AI_OPERATOR or the login name)',
    );
  for (const group of groups) root.addCommand(group);
  return root;
}

/** Every command reports usage errors through main(), in the same coded form. */
function throwUsageErrors(command: Command): Command {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) throwUsageErrors(sub);
  return command;
}

async function main(argv: string[]): Promise<number> {
  const output = new Output(argv.includes('--json'));
  // A reader that goes away early (`zt4ai audit tail | head`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    await throwUsageErrors(await program(argv)).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      if (error.cause instanceof ZtError) {
        output.error(error.cause);
        return exitCodeFor(error.cause);
      }
      output.error(new ZtError('invalid-argument', error.message.replace(/^error: /, '')));
      return 2;
    }
    const failure = toZtError(error);
    output.error(failure);
    return exitCodeFor(failure);
  }
}

const status = await main(process.argv);
if (status !== 0) process.exitCode = status;
