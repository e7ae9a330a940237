// `zt4ai mcp-proxy`: local mode of the MCP gateway (docs/mcp-gateway.md, "Local mode"). A desktop
// MCP client starts it instead of a local server; it opens the control plane on the configured data
// directory, runs the MCP gateway in-process with that one server as its only upstream, and forwards
// the client's stdio to the gateway's /mcp as the agent of the identity file — certificate and a
// fresh proof on every request, through the same routes as over the network, with no port opened.
// stdout is the MCP channel: logs go to stderr.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentIdentity, SdkError } from '@zt4ai/sdk';
import { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { buildHttpServer } from '../api/index.js';
import { type Config, type McpUpstreamConfig, validateRaw } from '../config/index.js';
import { ZtError } from '../errors.js';
import {
  injectFetch,
  type LocalIdentity,
  MCP_PATH,
  mountMcpEndpoint,
  parseIdentityFile,
  startLocalProxy,
} from '../mcp/index.js';
import { type ControlPlane, openControlPlane, openMcpGateway } from '../server.js';
import { commandContext } from './context.js';
import { readDataFile } from './read-input-file.js';

interface ProxyOptions {
  identity: string;
  name?: string;
  upstream?: string;
}

/** The `<upstream>` of a server given as a command, unless `--name` says otherwise. */
const DEFAULT_NAME = 'local';
/**
 * Timeout of a server given as a command: the gateway's default call timeout (`mcp.callTimeoutMs`
 * is not part of the resolved configuration; an upstream from zt4ai.yaml has its own timeoutMs).
 */
const COMMAND_TIMEOUT_MS = 30_000;

export function mcpProxyCommand(): Command {
  return new Command('mcp-proxy')
    .description(
      'serve a desktop MCP client on stdio, fronting one MCP server through the guard (local mode)',
    )
    .usage('--identity <file> [--name <name>] -- <command> [args...]')
    .requiredOption('--identity <file>', 'identity file: agent, key file, model and prompt')
    .option('--name <name>', `the server's name in grants and policies (default "${DEFAULT_NAME}")`)
    .option('--upstream <name>', 'front this upstream of zt4ai.yaml (mcp.upstreams) instead')
    .argument('[command...]', 'the MCP server to start (after --), with its arguments')
    .action(async (server: string[], options: ProxyOptions, command: Command) => {
      const { config } = commandContext(command);
      const upstream = chooseUpstream(config, server, options);
      const identityFile = resolve(options.identity);
      const identity = parseIdentityFile(
        readDataFile(identityFile),
        identityFile,
        config.identity.issuer,
      );
      if (!existsSync(identity.keyFile))
        throw new ZtError('key-file-invalid', `key file ${identity.keyFile} does not exist`);
      const logger = pino(
        { level: config.logLevel, base: { service: 'zt4ai-mcp-proxy' } },
        pino.destination(2),
      );
      await serve(config, upstream, identity, logger);
    });
}

/** The one upstream: the command after `--`, or `--upstream` from zt4ai.yaml. */
function chooseUpstream(
  config: Config,
  server: readonly string[],
  options: ProxyOptions,
): McpUpstreamConfig {
  if (options.upstream !== undefined) {
    if (server.length > 0 || options.name !== undefined)
      throw new ZtError('invalid-argument', 'give either --upstream or a command (with --name)');
    const configured = config.mcp.upstreams.find((u) => u.name === options.upstream);
    if (configured === undefined)
      throw new ZtError(
        'invalid-argument',
        `no upstream named ${options.upstream} in mcp.upstreams`,
      );
    return configured;
  }
  const [commandLine, ...args] = server;
  if (commandLine === undefined)
    throw new ZtError('invalid-argument', 'give the MCP server to start after --, or --upstream');
  const name = options.name ?? DEFAULT_NAME;
  // The same rules as a configured upstream (name without "/", bounded arguments).
  validateRaw(
    { mcp: { upstreams: [{ name, transport: 'stdio', command: commandLine, args }] } },
    'mcp-proxy',
  );
  // Like the gateway's stdio upstreams: PATH and HOME, nothing else of this environment.
  return {
    name,
    transport: 'stdio',
    command: commandLine,
    args,
    env: {},
    cwd: undefined,
    timeoutMs: COMMAND_TIMEOUT_MS,
  };
}

/** Opens everything, serves stdio until the client leaves or a signal comes, then closes it all. */
async function serve(
  config: Config,
  upstream: McpUpstreamConfig,
  identity: LocalIdentity,
  logger: Logger,
): Promise<void> {
  const plane = await openControlPlane(config);
  const app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: config.identity.issuer,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
  });
  try {
    await mountLocalGateway(plane, app, upstream, logger);
    await app.ready();
    const agent = await agentIdentity(config, identity, injectFetch(app));
    const proxy = await startLocalProxy({
      endpoint: new URL(`${config.identity.issuer}${MCP_PATH}`),
      fetch: agent.fetch,
      upstream: upstream.name,
      upstreamTimeoutMs: upstream.timeoutMs,
      logger,
    });
    logger.info({ agent: identity.agent, upstream: upstream.name }, 'zt4ai mcp-proxy serving');
    await untilClosedOrSignal(proxy.closed);
    await proxy.close();
  } finally {
    await app.close();
    await plane.close();
  }
}

/** The MCP gateway over this control plane with `upstream` as its only upstream, at /mcp. */
async function mountLocalGateway(
  plane: ControlPlane,
  app: ReturnType<typeof buildHttpServer>,
  upstream: McpUpstreamConfig,
  logger: Logger,
): Promise<void> {
  const { config } = plane;
  const local = { ...config, mcp: { ...config.mcp, upstreams: [upstream] } };
  const gateway = await openMcpGateway({ ...plane, config: local }, { logger });
  await mountMcpEndpoint(app, gateway, {
    publicUrl: config.identity.issuer,
    maxMessageBytes: config.mcp.maxMessageBytes,
  });
}

/**
 * The agent's identity with a certificate already issued: an agent that is not active, a profile
 * that is not the approved one, or a key that is not the registered one stops the proxy here.
 */
async function agentIdentity(
  config: Config,
  identity: LocalIdentity,
  send: typeof fetch,
): Promise<AgentIdentity> {
  try {
    const agent = await AgentIdentity.create({
      issuer: config.identity.issuer,
      agent: identity.agent,
      key: { file: identity.keyFile },
      model: {
        provider: identity.model.provider,
        name: identity.model.name,
        version: identity.model.version,
        ...(identity.model.digest === undefined ? {} : { digest: identity.model.digest }),
      },
      prompt: identity.prompt,
      ...(identity.ttlSeconds === undefined ? {} : { ttlSeconds: identity.ttlSeconds }),
      fetch: send,
    });
    await agent.certificate();
    return agent;
  } catch (error) {
    throw startRefusal(error, identity.agent);
  }
}

function startRefusal(error: unknown, agent: string): unknown {
  if (!(error instanceof SdkError)) return error;
  switch (error.code) {
    case 'agent-not-active':
      return new ZtError(
        'agent-not-active',
        `agent ${agent} is not active (pending, quarantined or retired)`,
      );
    case 'profile-not-approved':
      return new ZtError(
        'profile-not-approved',
        `the model or prompt of the identity file is not ${agent}'s approved profile; it awaits approval`,
      );
    case 'key-invalid':
    case 'key-file-unreadable':
    case 'key-file-insecure':
      return new ZtError('key-file-invalid', error.message);
    default: {
      const server = error.detail?.serverCode;
      return new ZtError(
        'invalid-argument',
        `the control plane refused a certificate for ${agent} (${error.code}${server === undefined ? '' : `: ${server}`})`,
      );
    }
  }
}

/** Resolves when the desktop client goes away, or on SIGINT / SIGTERM. */
function untilClosedOrSignal(closed: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    void closed.then(stop);
  });
}
