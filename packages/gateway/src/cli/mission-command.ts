// `zt4ai mission …`: create, update, show and list signed mission manifests.
import { Command } from 'commander';
import type { Mission } from '../identity/index.js';
import { cliActor, commandContext, withControlPlane } from './context.js';
import { readDataFile } from './read-input-file.js';

export function missionCommand(): Command {
  const mission = new Command('mission').description('signed mission manifests');
  mission
    .command('create')
    .description('create a mission; prints its id')
    .option('--name <name>', 'mission name')
    .option('--purpose <text>', 'what the mission is for')
    .option(
      '--file <mission.yaml>',
      'full manifest: name, purpose, allow, dataClasses, budget, maxGrantTtlSeconds',
    )
    .action(
      async (options: { name?: string; purpose?: string; file?: string }, command: Command) => {
        const { config, output } = commandContext(command);
        const input = manifestInput(options);
        const created = await withControlPlane(config, (plane) =>
          plane.identity.createMission(input, cliActor(command)),
        );
        output.result({ id: created.id }, created.id);
      },
    );
  mission
    .command('update <mission>')
    .description('a new signed version; agents on the mission get a pending profile')
    .requiredOption('--file <mission.yaml>', 'the full new manifest')
    .action(async (ref: string, options: { file: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const updated = await withControlPlane(config, (plane) =>
        plane.identity.updateMission(ref, readDataFile(options.file), cliActor(command)),
      );
      output.result(
        { id: updated.id, version: updated.version },
        `${updated.id} version ${updated.version}`,
      );
    });
  mission
    .command('show <mission>')
    .description('show the latest version of a mission')
    .action(async (ref: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const found = await withControlPlane(config, (plane) => plane.identity.missions.get(ref));
      output.result(missionJson(found), JSON.stringify(missionJson(found), null, 2));
    });
  mission
    .command('list')
    .description('list missions')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const missions = await withControlPlane(config, (plane) => plane.identity.missions.list());
      output.result(
        { missions: missions.map(missionJson) },
        missions.map((m) => `${m.id}  v${m.version}  ${m.manifest.name}`).join('\n'),
      );
    });
  return mission;
}

function manifestInput(options: {
  name?: string;
  purpose?: string;
  file?: string;
}): Record<string, unknown> {
  const base =
    options.file === undefined ? {} : (readDataFile(options.file) as Record<string, unknown>);
  return {
    ...base,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
  };
}

function missionJson(mission: Mission): Record<string, unknown> {
  return {
    id: mission.id,
    version: mission.version,
    digest: mission.digest,
    manifest: mission.manifest,
    signature: mission.signature,
  };
}
