// `zt4ai incident …` and `zt4ai kill-switch …`: containment's incidents, and stopping agents at once.
import { Command } from 'commander';
import { ZtError } from '../errors.js';
import type { KillSwitchTarget } from '../remediation/index.js';
import { cliActor, commandContext, withControlPlane } from './context.js';

export function incidentCommand(): Command {
  const incident = new Command('incident').description(
    'incidents opened by containment: timeline, evidence, release',
  );
  incident
    .command('list')
    .description('incidents, newest first')
    .option('--open', 'only open incidents')
    .option('--agent <id>', 'only this agent')
    .action(async (options: { open?: boolean; agent?: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const incidents = await withControlPlane(config, (plane) =>
        plane.remediation.incidents.list({
          ...(options.open === true ? { status: 'open' as const } : {}),
          ...(options.agent === undefined ? {} : { agent: options.agent }),
        }),
      );
      output.result(
        incidents,
        incidents.map((i) => `${i.id} ${i.status} ${i.agent} ${i.rule} ${i.openedAt}`).join('\n'),
      );
    });
  incident
    .command('show <id>')
    .description('an incident with its timeline')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { config, output } = commandContext(command);
      output.result(await withControlPlane(config, (plane) => plane.remediation.incidents.get(id)));
    });
  incident
    .command('evidence <id>')
    .description('the evidence entries with inclusion proofs against one signed checkpoint')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { config, output } = commandContext(command);
      output.result(
        await withControlPlane(config, (plane) => plane.remediation.incidents.evidence(id)),
      );
    });
  incident
    .command('release <id>')
    .description('close an incident and make its quarantined agent active (approver role)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const released = await withControlPlane(config, (plane) =>
        plane.remediation.release(id, cliActor(command), options.reason),
      );
      output.result(released, `${released.id} released`);
    });
  return incident;
}

export function killSwitchCommand(): Command {
  const killSwitch = new Command('kill-switch').description(
    'stop every agent, one team or one mission at once (admin role), and resume',
  );
  killSwitch
    .command('engage')
    .description('stop agents from their next call, on every gateway sharing the store')
    .option('--all', 'every agent')
    .option('--team <team>', 'the agents of one team')
    .option('--mission <mission>', 'the agents on one mission')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(
      async (
        options: { all?: boolean; team?: string; mission?: string; reason: string },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const target = killSwitchTarget(options);
        const engaged = await withControlPlane(config, (plane) =>
          plane.remediation.killSwitch.engage(target, cliActor(command), options.reason),
        );
        output.result(engaged, `${engaged.id} engaged`);
      },
    );
  killSwitch
    .command('release <id>')
    .description('resume the agents a kill switch stopped')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const released = await withControlPlane(config, (plane) =>
        plane.remediation.killSwitch.release(id, cliActor(command), options.reason),
      );
      output.result(released, `${released.id} released`);
    });
  killSwitch
    .command('list')
    .description('kill switches in force')
    .option('--all', 'include released ones')
    .action(async (options: { all?: boolean }, command: Command) => {
      const { config, output } = commandContext(command);
      const switches = await withControlPlane(config, (plane) =>
        plane.remediation.killSwitch.list(options.all === true),
      );
      output.result(
        switches,
        switches
          .map((s) => `${s.id} ${s.scope} ${s.subject} ${s.engagedBy}: ${s.reason}`)
          .join('\n'),
      );
    });
  return killSwitch;
}

function killSwitchTarget(options: {
  all?: boolean;
  team?: string;
  mission?: string;
}): KillSwitchTarget {
  const given = [options.all === true, options.team !== undefined, options.mission !== undefined];
  if (given.filter(Boolean).length !== 1)
    throw new ZtError(
      'invalid-argument',
      'name exactly one of --all, --team <team> or --mission <mission>',
    );
  if (options.team !== undefined) return { scope: 'team', team: options.team };
  if (options.mission !== undefined) return { scope: 'mission', mission: options.mission };
  return { scope: 'all' };
}
