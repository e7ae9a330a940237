// prompts/list and prompts/get (docs/mcp-gateway.md, "Resources and prompts"). A prompt is shown as
// `upstream/prompt`; getting one goes through the guard as `prompts/get` with its arguments, and
// the messages it returns are labelled and remembered like any tool result.
import {
  ProtocolError,
  type GetPromptResult,
  type ListPromptsResult,
} from '@modelcontextprotocol/server';
import type { CallContext } from './call-context.js';
import { guardedCall } from './guarded-call.js';
import type { HandlerDeps } from './handler-deps.js';
import { fromEveryUpstream } from './list-upstreams.js';
import { qualify, splitQualified } from './names.js';
import {
  deniedError,
  unknownError,
  UNRECORDED_TEXT,
  upstreamError,
  withheldError,
  WIRE_CODES,
} from './wire-errors.js';

export async function listPrompts(deps: HandlerDeps): Promise<ListPromptsResult> {
  const prompts = await fromEveryUpstream(deps, 'prompts', async (upstream, client, options) =>
    (await client.listPrompts(undefined, { ...options, cacheMode: 'bypass' })).prompts.map((p) => ({
      ...p,
      name: qualify(upstream, p.name),
    })),
  );
  return { prompts };
}

export async function getPrompt(
  deps: HandlerDeps,
  context: CallContext,
  name: string,
  args: Record<string, string> | undefined,
): Promise<GetPromptResult> {
  const parts = splitQualified(name);
  const upstream = parts === undefined ? undefined : deps.catalog.upstreams.get(parts.upstream);
  if (parts === undefined || upstream === undefined) throw unknownError('prompt', name);
  const outcome = await guardedCall<GetPromptResult>(deps, {
    action: 'prompts/get',
    tool: name,
    upstream: upstream.name,
    args: args ?? {},
    context,
    forward: () =>
      upstream.request((client, options) =>
        client.getPrompt(
          { name: parts.name, ...(args === undefined ? {} : { arguments: args }) },
          options,
        ),
      ),
  });
  switch (outcome.kind) {
    case 'done':
      return outcome.value;
    case 'denied':
      throw deniedError(outcome.decision);
    case 'unrecorded':
      throw new ProtocolError(WIRE_CODES.denied, UNRECORDED_TEXT);
    case 'failed':
      throw upstreamError(upstream.name, outcome.failure, outcome.error);
    case 'withheld':
      throw withheldError(outcome.why);
  }
}
