// `zt4ai tool …`: upstream MCP tools pinned to the definitions operators approved (rug-pull
// defence): list them, read one before deciding, approve the digest seen, or block.
import { Command } from 'commander';
import { ZtError } from '../errors.js';
import { escapeInvisible } from '../mcp/hidden-instructions.js';
import { type PinStatus, type ToolPinEntry, ToolPins } from '../mcp/tool-pins.js';
import type { ControlPlane } from '../server.js';
import { cliActor, commandContext, withControlPlane } from './context.js';

const STATUSES: readonly PinStatus[] = ['approved', 'pending', 'changed', 'blocked'];

export function toolCommand(): Command {
  const tool = new Command('tool').description(
    'upstream MCP tools pinned to approved definitions (new and changed tools are blocked)',
  );
  tool
    .command('list')
    .description('list every tool an upstream has offered, with its status, digest and flags')
    .option('--status <status>', 'only tools in this status: approved, pending, changed, blocked')
    .action(async (options: { status?: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const status = parseStatus(options.status);
      const all = await withControlPlane(config, (plane) => pins(plane).list());
      const tools = status === undefined ? all : all.filter((t) => t.status === status);
      output.result({ tools }, tools.map(line).join('\n'));
    });
  tool
    .command('show <tool>')
    .description('show a tool (server/name) with the definition its upstream offered last')
    .action(async (name: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const shown = await withControlPlane(config, (plane) => pins(plane).show(name));
      output.result(shown, escapeInvisible(JSON.stringify(shown, null, 2)));
    });
  tool
    .command('approve <tool>')
    .description('approve the definition a tool (server/name) offers now (approver role)')
    .requiredOption('--digest <digest>', 'the digest shown by `zt4ai tool list` (sha256:…)')
    .option('--accept-flags', 'approve although the tool is flagged (the flags are recorded)')
    .action(
      async (
        name: string,
        options: { digest: string; acceptFlags?: boolean },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const approved = await withControlPlane(config, async (plane) => {
          await pins(plane).approve(name, options.digest, cliActor(command), {
            acceptFlags: options.acceptFlags === true,
          });
          return pins(plane).show(name);
        });
        output.result(withoutDefinition(approved), `${escapeInvisible(approved.tool)} approved`);
      },
    );
  tool
    .command('block <tool>')
    .description('block a tool (server/name) until it is approved again (approver role)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (name: string, options: { reason: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const blocked = await withControlPlane(config, async (plane) => {
        await pins(plane).block(name, cliActor(command), options.reason);
        return pins(plane).show(name);
      });
      output.result(withoutDefinition(blocked), `${escapeInvisible(blocked.tool)} blocked`);
    });
  return tool;
}

function pins(plane: ControlPlane): ToolPins {
  return new ToolPins({ store: plane.store, audit: plane.audit });
}

function parseStatus(value: string | undefined): PinStatus | undefined {
  if (value === undefined) return undefined;
  const status = STATUSES.find((s) => s === value);
  if (status === undefined)
    throw new ZtError('invalid-argument', `--status must be one of ${STATUSES.join(', ')}`);
  return status;
}

/** One text line per tool; names come from upstreams, so invisible characters are escaped. */
function line(entry: ToolPinEntry): string {
  const notes = [
    ...(entry.flags.length > 0 ? [`flags: ${entry.flags.join(', ')}`] : []),
    ...(entry.shadowedBy.length > 0
      ? [`shadowed by: ${entry.shadowedBy.map(escapeInvisible).join(', ')}`]
      : []),
  ];
  return [entry.status.padEnd(8), escapeInvisible(entry.tool), entry.digest, ...notes].join('  ');
}

function withoutDefinition(entry: ToolPinEntry & { definition?: unknown }): ToolPinEntry {
  return Object.fromEntries(
    Object.entries(entry).filter(([key]) => key !== 'definition'),
  ) as unknown as ToolPinEntry;
}
