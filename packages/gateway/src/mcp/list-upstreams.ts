// Gathers one list (resources, templates, prompts) from every upstream that offers the capability,
// in parallel. An upstream that fails is left out of the answer and logged, never the whole list.
import type { Client } from '@modelcontextprotocol/client';
import type { HandlerDeps } from './handler-deps.js';

type Capability = 'resources' | 'prompts';

export async function fromEveryUpstream<T>(
  deps: Pick<HandlerDeps, 'catalog' | 'logger'>,
  capability: Capability,
  list: (
    upstream: string,
    client: Client,
    options: { timeout: number; maxTotalTimeout: number },
  ) => Promise<T[]>,
): Promise<T[]> {
  const perUpstream = await Promise.all(
    [...deps.catalog.upstreams.values()].map(async (upstream) => {
      const outcome = await upstream.request((client, options) =>
        client.getServerCapabilities()?.[capability] === undefined
          ? Promise.resolve([])
          : list(upstream.name, client, options),
      );
      if (outcome.ok) return outcome.value;
      deps.logger.warn(
        { upstream: upstream.name, capability, failure: outcome.failure },
        'upstream list unavailable',
      );
      return [];
    }),
  );
  return perUpstream.flat();
}
