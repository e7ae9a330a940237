// resources/list, resources/templates/list and resources/read (docs/mcp-gateway.md, "Resources and
// prompts"). A resource is shown as `upstream/<its URI>`; a read goes through the guard as
// `resources/read` on that name with the upstream's URI as its argument (so the detectors see it),
// and the contents come back under the gateway's names.
import type {
  ListResourcesResult,
  ListResourceTemplatesResult,
  ReadResourceResult,
} from '@modelcontextprotocol/server';
import type { CallContext } from './call-context.js';
import { guardedCall } from './guarded-call.js';
import type { HandlerDeps } from './handler-deps.js';
import { qualify, splitQualified } from './names.js';
import { fromEveryUpstream } from './list-upstreams.js';
import {
  deniedError,
  unknownError,
  UNRECORDED_TEXT,
  upstreamError,
  withheldError,
  WIRE_CODES,
} from './wire-errors.js';
import { ProtocolError } from '@modelcontextprotocol/server';

export async function listResources(deps: HandlerDeps): Promise<ListResourcesResult> {
  const resources = await fromEveryUpstream(deps, 'resources', async (upstream, client, options) =>
    (await client.listResources(undefined, { ...options, cacheMode: 'bypass' })).resources.map(
      (r) => ({
        ...r,
        uri: qualify(upstream, r.uri),
      }),
    ),
  );
  return { resources };
}

export async function listResourceTemplates(
  deps: HandlerDeps,
): Promise<ListResourceTemplatesResult> {
  const resourceTemplates = await fromEveryUpstream(
    deps,
    'resources',
    async (upstream, client, options) =>
      (
        await client.listResourceTemplates(undefined, { ...options, cacheMode: 'bypass' })
      ).resourceTemplates.map((t) => ({ ...t, uriTemplate: qualify(upstream, t.uriTemplate) })),
  );
  return { resourceTemplates };
}

export async function readResource(
  deps: HandlerDeps,
  context: CallContext,
  uri: string,
): Promise<ReadResourceResult> {
  const parts = splitQualified(uri);
  const upstream = parts === undefined ? undefined : deps.catalog.upstreams.get(parts.upstream);
  if (parts === undefined || upstream === undefined) throw unknownError('resource', uri);
  const outcome = await guardedCall<ReadResourceResult>(deps, {
    action: 'resources/read',
    tool: uri,
    upstream: upstream.name,
    args: { uri: parts.name },
    context,
    forward: () =>
      upstream.request((client, options) =>
        client.readResource({ uri: parts.name }, { ...options, cacheMode: 'bypass' }),
      ),
  });
  switch (outcome.kind) {
    case 'done':
      return {
        ...outcome.value,
        contents: outcome.value.contents.map((c) => ({ ...c, uri: qualify(upstream.name, c.uri) })),
      };
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
