#!/usr/bin/env node
// The zt4ai command line: global options, command groups, and the one place errors are printed.
import { Command, CommanderError } from 'commander';
import { ZtError, toZtError } from '../errors.js';
import { agentCommand } from './agent-command.js';
import { auditCommand } from './audit-command.js';
import { certCommand } from './cert-command.js';
import { grantCommand, operatorCommand } from './grant-command.js';
import { incidentCommand, killSwitchCommand } from './incident-command.js';
import { keysCommand } from './keys-command.js';
import { mcpProxyCommand } from './mcp-proxy-command.js';
import { missionCommand } from './mission-command.js';
import { policyCommand } from './policy-command.js';
import { toolCommand } from './tool-command.js';
import { exitCodeFor, Output } from './output.js';
import { upCommand } from './up-command.js';

function program(): Command {
  return new Command('zt4ai')
    .description('zt4ai — Zero Trust control plane for AI agents')
    .option('--config <file>', 'configuration file (default: ./zt4ai.yaml when present)')
    .option('--data-dir <dir>', 'data directory for the embedded SQLite store (default: ./.zt4ai)')
    .option('--database-url <url>', 'PostgreSQL connection URL (instead of SQLite)')
    .option('--json', 'print one JSON object per result (JSON lines for streams)')
    .option(
      '--operator <name>',
      'the operator this command acts as (default: ZT4AI_OPERATOR or the login name)',
    )
    .addCommand(upCommand())
    .addCommand(auditCommand())
    .addCommand(missionCommand())
    .addCommand(agentCommand())
    .addCommand(certCommand())
    .addCommand(keysCommand())
    .addCommand(policyCommand())
    .addCommand(grantCommand())
    .addCommand(toolCommand())
    .addCommand(mcpProxyCommand())
    .addCommand(incidentCommand())
    .addCommand(killSwitchCommand())
    .addCommand(operatorCommand());
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
    await throwUsageErrors(program()).parseAsync(argv);
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
