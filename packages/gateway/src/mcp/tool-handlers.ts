// tools/list and tools/call of the aggregated endpoint (docs/mcp-gateway.md, "Tools"). A tool is
// listed and callable only when its pin is approved and a task grant makes it visible to the agent;
// anything else is "Unknown tool" (-32602), so an agent cannot tell hidden from absent. Configured
// honeytokens are always listed and every call of one goes to the guard (which denies it).
import type { CallToolResult, ListToolsResult, Tool } from '@modelcontextprotocol/server';
import type { CallContext } from './call-context.js';
import { guardedCall } from './guarded-call.js';
import type { HandlerDeps } from './handler-deps.js';
import { approvedTools } from './pin-review.js';
import { resolvePathArguments } from './resolve-paths.js';
import { type CatalogTool, UpstreamCatalog } from './upstream-catalog.js';
import type { UpstreamOutcome } from './upstream-client.js';
import {
  decisionData,
  denialText,
  UNRECORDED_TEXT,
  unknownError,
  upstreamError,
  withheldError,
} from './wire-errors.js';

export async function listTools(deps: HandlerDeps, context: CallContext): Promise<ListToolsResult> {
  const all = await deps.catalog.list();
  const decoys = all.filter(isHoneytoken);
  const real = all.filter((tool) => !isHoneytoken(tool));
  const { approved, failed } = await approvedTools(deps.pins, UpstreamCatalog.definitions(real));
  if (failed) deps.logger.warn('tool pinning could not review the upstream tools: none is listed');
  const pinned = real.filter((tool) => approved.has(tool.name));
  const visible = new Set(
    await deps.grants.visibleTools(
      context.principal.id,
      pinned.map((tool) => tool.name),
    ),
  );
  return { tools: [...pinned.filter((tool) => visible.has(tool.name)), ...decoys].map(shown) };
}

export async function callTool(
  deps: HandlerDeps,
  context: CallContext,
  name: string,
  args: Record<string, unknown> | undefined,
): Promise<CallToolResult> {
  const tool = await callable(deps, context, name);
  const upstream = tool.upstream;
  const resolved =
    upstream?.config.transport === 'stdio'
      ? await resolvePathArguments(args ?? {}, tool.argKinds, deps.pathRoots)
      : (args ?? {});
  const outcome = await guardedCall<CallToolResult>(deps, {
    action: 'tools/call',
    tool: tool.name,
    upstream: upstream?.name ?? tool.name.split('/')[0] ?? '',
    args: resolved,
    argKinds: tool.argKinds,
    labels: tool.config?.resultLabels,
    context,
    forward: (): Promise<UpstreamOutcome<CallToolResult>> =>
      upstream === undefined
        ? Promise.resolve({ ok: false, failure: 'unavailable' })
        : upstream.request(
            (client, options) =>
              client.callTool(
                { name: tool.definition.name, arguments: resolved as Record<string, unknown> },
                options,
              ) as Promise<CallToolResult>,
          ),
  });
  switch (outcome.kind) {
    case 'done':
      return outcome.value;
    case 'denied':
      return {
        isError: true,
        content: [{ type: 'text', text: denialText(outcome.decision) }],
        _meta: { 'io.zt4ai/decision': decisionData(outcome.decision) },
      };
    case 'unrecorded':
      return { isError: true, content: [{ type: 'text', text: UNRECORDED_TEXT }] };
    case 'failed':
      throw upstreamError(upstream?.name ?? '', outcome.failure, outcome.error);
    case 'withheld':
      throw withheldError(outcome.why);
  }
}

/**
 * The tool, when the agent may call it: offered now, pin approved, visible under a grant. Otherwise
 * throws "Unknown tool" after recording the rejection (never saying which check failed).
 */
async function callable(
  deps: HandlerDeps,
  context: CallContext,
  name: string,
): Promise<CatalogTool> {
  const tool = await deps.catalog.find(name);
  if (tool !== undefined && isHoneytoken(tool)) return tool;
  const reason = tool === undefined ? 'unknown' : await rejectionOf(deps, context, tool);
  if (tool !== undefined && reason === undefined) return tool;
  await deps.audit
    .append({
      type: 'mcp.call.rejected',
      agent: context.principal.id,
      action: 'tools/call',
      tool: name.slice(0, 256),
      reason,
    })
    .catch(() => undefined);
  throw unknownError('tool', name);
}

/** Why an offered tool may not be called by this agent now, or undefined when it may. */
async function rejectionOf(
  deps: HandlerDeps,
  context: CallContext,
  tool: CatalogTool,
): Promise<'not-pinned' | 'pin-review-failed' | 'hidden' | undefined> {
  const pins = await approvedTools(deps.pins, UpstreamCatalog.definitions([tool]));
  if (pins.failed) return 'pin-review-failed';
  if (!pins.approved.has(tool.name)) return 'not-pinned';
  const visible = await deps.grants.visibleTools(context.principal.id, [tool.name]);
  return visible.length === 0 ? 'hidden' : undefined;
}

function isHoneytoken(tool: CatalogTool): boolean {
  return tool.config?.honeytoken === true;
}

/** The definition as the agent sees it: the upstream's, under its `upstream/tool` name, no `_meta`. */
function shown(tool: CatalogTool): Tool {
  const definition: Tool = { ...tool.definition, name: tool.name };
  delete definition._meta;
  return definition;
}
