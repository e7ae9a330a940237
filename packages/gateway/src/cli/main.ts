#!/usr/bin/env node
// The zt4ai command line: global options, command groups, and the one place errors are printed.
import { Command, CommanderError } from 'commander';
import { ZtError, toZtError } from '../errors.js';
import { auditCommand } from './audit-command.js';
import { exitCodeFor, Output } from './output.js';
import { upCommand } from './up-command.js';

function program(): Command {
  return new Command('zt4ai')
    .description('zt4ai — Zero Trust control plane for AI agents')
    .option('--config <file>', 'configuration file (default: ./zt4ai.yaml when present)')
    .option('--data-dir <dir>', 'data directory for the embedded SQLite store (default: ./.zt4ai)')
    .option('--database-url <url>', 'PostgreSQL connection URL (instead of SQLite)')
    .option('--json', 'print one JSON object per result (JSON lines for streams)')
    .showHelpAfterError()
    .exitOverride()
    .addCommand(upCommand())
    .addCommand(auditCommand());
}

async function main(argv: string[]): Promise<number> {
  const output = new Output(argv.includes('--json'));
  try {
    await program().parseAsync(argv);
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

process.exitCode = await main(process.argv);
