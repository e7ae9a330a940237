// `zt4ai agent …`: register agents, approve their profiles, quarantine and retire them.
import { extname } from 'node:path';
import { Command } from 'commander';
import { ZtError } from '../errors.js';
import {
  type Agent,
  type IdentityService,
  modelSpec,
  parseModelBinding,
  parseModelSpec,
  parsePromptConfig,
  type Profile,
  type PromptConfig,
} from '../identity/index.js';
import { cliActor, commandContext, withControlPlane } from './context.js';
import { nonNegativeInteger } from './options.js';
import { readDataFile, readTextFile } from './read-input-file.js';

type RegisterAgentInput = Parameters<IdentityService['registerAgent']>[0];

interface RegisterOptions {
  name?: string;
  publicKey?: string;
  model?: string;
  promptFile?: string;
  mission?: string;
  owner?: string;
  team?: string;
  file?: string;
}

export function agentCommand(): Command {
  const agent = new Command('agent').description('agent identities and their security profiles');
  agent
    .command('register')
    .description('register an agent (pending until its profile is approved); prints its id')
    .option('--name <name>', 'agent name')
    .option('--public-key <file.jwk>', "the agent's Ed25519 public key (JWK)")
    .option('--model <provider/name@version>', 'pinned model snapshot')
    .option(
      '--prompt-file <file>',
      'system prompt template (.txt/.md) or {template, tools, params} (.yaml/.json)',
    )
    .option('--mission <id>', 'mission id or name')
    .option('--owner <owner>', 'owner (person or team accountable)')
    .option('--team <team>', 'team')
    .option(
      '--file <agent.yaml>',
      'all of the above as YAML: name, publicKey, model, prompt, mission, owner, team',
    )
    .action(async (options: RegisterOptions, command: Command) => {
      const { config, output } = commandContext(command);
      const input = registerInput(options);
      const { agent: created } = await withControlPlane(config, (plane) =>
        plane.identity.registerAgent(input, cliActor(command)),
      );
      output.result({ id: created.id }, created.id);
    });
  agent
    .command('list')
    .description('list agents')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const agents = await withControlPlane(config, (plane) => plane.identity.agents.list());
      output.result(
        { agents: agents.map(agentJson) },
        agents.map((a) => `${a.id}  ${a.status.padEnd(11)}  ${a.name}`).join('\n'),
      );
    });
  agent
    .command('show <agent>')
    .description('show an agent and its profiles')
    .action(async (ref: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const shown = await withControlPlane(config, async (plane) => {
        const found = await plane.identity.agents.get(ref);
        return {
          ...agentJson(found),
          profiles: (await plane.identity.agents.profiles(found.id)).map(profileJson),
        };
      });
      output.result(shown, JSON.stringify(shown, null, 2));
    });
  agent
    .command('propose-profile <agent>')
    .description('record a changed model, prompt or mission as a pending profile')
    .option('--model <provider/name@version>', 'new model snapshot')
    .option('--prompt-file <file>', 'new prompt configuration')
    .option('--mission <id>', 'new mission (its latest version)')
    .action(
      async (
        ref: string,
        options: { model?: string; promptFile?: string; mission?: string },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const profile = await withControlPlane(config, async (plane) => {
          const mission =
            options.mission === undefined
              ? undefined
              : await plane.identity.missions.get(options.mission);
          return plane.identity.proposeProfile(
            ref,
            {
              ...(options.model === undefined ? {} : { model: parseModelSpec(options.model) }),
              ...(options.promptFile === undefined
                ? {}
                : { prompt: readPromptFile(options.promptFile) }),
              ...(mission === undefined ? {} : { mission }),
            },
            cliActor(command),
          );
        });
        output.result(
          profileJson(profile),
          `profile version ${profile.version} is pending approval`,
        );
      },
    );
  agent
    .command('approve-profile <agent>')
    .description("approve the agent's pending profile (the newest, or --version)")
    .option('--version <n>', 'profile version', nonNegativeInteger('--version'))
    .action(async (ref: string, options: { version?: number }, command: Command) => {
      const { config, output } = commandContext(command);
      const profile = await withControlPlane(config, (plane) =>
        plane.identity.approveProfile(ref, options.version, cliActor(command)),
      );
      output.result(profileJson(profile), `profile version ${profile.version} approved`);
    });
  for (const [name, status, help] of [
    ['quarantine', 'quarantined', 'refuse every call of the agent from its next one'],
    ['retire', 'retired', 'retire the agent for good'],
  ] as const) {
    agent
      .command(`${name} <agent>`)
      .description(help)
      .option('--reason <text>', 'why (recorded in the audit log)', '')
      .action(async (ref: string, options: { reason: string }, command: Command) => {
        const { config, output } = commandContext(command);
        const changed = await withControlPlane(config, (plane) =>
          plane.identity.setStatus(ref, status, cliActor(command), options.reason),
        );
        output.result(agentJson(changed), `${changed.name} is ${changed.status}`);
      });
  }
  return agent;
}

function registerInput(options: RegisterOptions): RegisterAgentInput {
  const file =
    options.file === undefined ? {} : (readDataFile(options.file) as Record<string, unknown>);
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  const name = options.name ?? text(file.name);
  const mission = options.mission ?? text(file.mission);
  const publicKey =
    options.publicKey === undefined ? file.publicKey : readDataFile(options.publicKey);
  const model = options.model ?? file.model;
  const prompt =
    options.promptFile === undefined ? file.prompt : readPromptFile(options.promptFile);
  if (
    name === undefined ||
    mission === undefined ||
    publicKey === undefined ||
    model === undefined ||
    prompt === undefined
  ) {
    throw new ZtError(
      'invalid-argument',
      'agent register needs --name, --public-key, --model, --prompt-file and --mission (or --file)',
    );
  }
  return {
    name,
    owner: options.owner ?? text(file.owner) ?? 'unassigned',
    team: options.team ?? text(file.team) ?? 'default',
    publicJwk: publicKey,
    model: typeof model === 'string' ? parseModelSpec(model) : parseModelBinding(model),
    prompt:
      typeof prompt === 'string'
        ? parsePromptConfig({ template: prompt })
        : parsePromptConfig(prompt),
    mission,
  };
}

function readPromptFile(path: string): PromptConfig {
  const structured = ['.yaml', '.yml', '.json'].includes(extname(path).toLowerCase());
  return parsePromptConfig(structured ? readDataFile(path) : { template: readTextFile(path) });
}

function agentJson(agent: Agent): Record<string, unknown> {
  return {
    id: agent.id,
    name: agent.name,
    owner: agent.owner,
    team: agent.team,
    status: agent.status,
    jkt: agent.jkt,
    createdAt: agent.createdAt,
  };
}

function profileJson(profile: Profile): Record<string, unknown> {
  return {
    version: profile.version,
    status: profile.status,
    model: modelSpec(profile.model),
    promptDigest: profile.promptDigest,
    mission: profile.mission,
    decidedBy: profile.decidedBy,
    decidedAt: profile.decidedAt,
  };
}
