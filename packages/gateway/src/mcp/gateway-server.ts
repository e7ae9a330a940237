// The MCP server every downstream request is served by, in both protocol eras: a low-level SDK
// `Server` (the gateway forwards definitions it does not own, so it answers tools/list itself) whose
// handlers take the request's CallContext from the edge. A handler failure that is not one of the
// gateway's wire errors becomes a generic internal error: no stack trace, SQL or upstream detail
// reaches the agent.
import { ProtocolError, Server, type ServerContext } from '@modelcontextprotocol/server';
import { type CallContext, contextOf } from './call-context.js';
import type { HandlerDeps } from './handler-deps.js';
import { getPrompt, listPrompts } from './prompt-handlers.js';
import { listResources, listResourceTemplates, readResource } from './resource-handlers.js';
import { callTool, listTools } from './tool-handlers.js';
import { PASS_THROUGH_VALIDATOR } from './upstream-client.js';
import { internalError } from './wire-errors.js';

export const GATEWAY_INFO = { name: 'zt4ai-mcp-gateway', version: '0.1.0' } as const;

export function buildGatewayServer(deps: HandlerDeps): Server {
  const server = new Server(GATEWAY_INFO, {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    // Arguments are not validated against upstream schemas here (see PASS_THROUGH_VALIDATOR).
    jsonSchemaValidator: PASS_THROUGH_VALIDATOR,
  });
  const guarded = <T>(ctx: ServerContext, run: (context: CallContext) => Promise<T>): Promise<T> =>
    withContext(deps, ctx, run);
  server.setRequestHandler('tools/list', (_request, ctx) =>
    guarded(ctx, (c) => listTools(deps, c)),
  );
  server.setRequestHandler('tools/call', (request, ctx) =>
    guarded(ctx, (c) => callTool(deps, c, request.params.name, request.params.arguments)),
  );
  server.setRequestHandler('resources/list', (_request, ctx) =>
    guarded(ctx, () => listResources(deps)),
  );
  server.setRequestHandler('resources/templates/list', (_request, ctx) =>
    guarded(ctx, () => listResourceTemplates(deps)),
  );
  server.setRequestHandler('resources/read', (request, ctx) =>
    guarded(ctx, (c) => readResource(deps, c, request.params.uri)),
  );
  server.setRequestHandler('prompts/list', (_request, ctx) =>
    guarded(ctx, () => listPrompts(deps)),
  );
  server.setRequestHandler('prompts/get', (request, ctx) =>
    guarded(ctx, (c) => getPrompt(deps, c, request.params.name, request.params.arguments)),
  );
  return server;
}

/** Runs a handler with the request's context; fails closed without one, and hides internal errors. */
async function withContext<T>(
  deps: HandlerDeps,
  ctx: ServerContext,
  run: (context: CallContext) => Promise<T>,
): Promise<T> {
  const context = contextOf(ctx);
  if (context === undefined) {
    deps.logger.error('MCP request without an authenticated context');
    throw internalError();
  }
  try {
    return await run(context);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    deps.logger.error({ err: error, agent: context.principal.id }, 'MCP request failed');
    throw internalError();
  }
}
