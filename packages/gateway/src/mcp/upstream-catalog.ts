// The aggregated catalog behind /mcp: every upstream's tools under `upstream/tool`, each joined with
// its `tools:` configuration (argument kinds, result labels, honeytoken) and the argument kinds its
// input schema implies, plus configured honeytoken tools that no upstream offers (decoys).
import type { Tool } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { ArgKind } from '../detectors/detector.js';
import { argumentKinds, type ToolConfig } from '../guard/index.js';
import { isAcceptableName, qualify, splitQualified } from './names.js';
import type { PinnedToolDefinition } from './pin-review.js';
import type { Upstream } from './upstream-client.js';

/** One tool as the gateway shows it. */
export interface CatalogTool {
  /** `upstream/tool`. */
  readonly name: string;
  /** Undefined for a decoy: a configured honeytoken no upstream offers. */
  readonly upstream: Upstream | undefined;
  /** The upstream's own definition (its name un-prefixed). */
  readonly definition: Tool;
  readonly config: ToolConfig | undefined;
  /** Configured kinds over the ones the input schema implies (guard/tool-catalog.ts). */
  readonly argKinds: Readonly<Record<string, ArgKind>>;
}

const DECOY_SCHEMA = { type: 'object' } as const;

export class UpstreamCatalog {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly #tools: ReadonlyMap<string, ToolConfig>;
  readonly #logger: Logger;

  constructor(
    upstreams: readonly Upstream[],
    tools: ReadonlyMap<string, ToolConfig>,
    logger: Logger,
  ) {
    this.upstreams = new Map(upstreams.map((u) => [u.name, u]));
    this.#tools = tools;
    this.#logger = logger;
  }

  /** Every tool of every reachable upstream, then the decoys. An unreachable upstream is skipped. */
  async list(): Promise<CatalogTool[]> {
    const perUpstream = await Promise.all(
      [...this.upstreams.values()].map(async (upstream) => {
        const outcome = await upstream.tools();
        if (outcome.ok) return outcome.value.flatMap((tool) => this.#entry(upstream, tool));
        this.#logger.warn(
          { upstream: upstream.name, failure: outcome.failure },
          'upstream tools unavailable',
        );
        return [];
      }),
    );
    const offered = perUpstream.flat();
    const names = new Set(offered.map((t) => t.name));
    return [...offered, ...this.#decoys().filter((d) => !names.has(d.name))];
  }

  /** One tool by its `upstream/tool` name, or undefined when no upstream offers it now. */
  async find(name: string): Promise<CatalogTool | undefined> {
    const parts = splitQualified(name);
    if (parts === undefined) return undefined;
    const upstream = this.upstreams.get(parts.upstream);
    if (upstream !== undefined) {
      const outcome = await upstream.tools();
      const tool = outcome.ok ? outcome.value.find((t) => t.name === parts.name) : undefined;
      if (tool !== undefined) return this.#entry(upstream, tool)[0];
    }
    return this.#decoys().find((d) => d.name === name);
  }

  /** What tool pinning reviews for these tools (decoys are not pinned: they never execute). */
  static definitions(tools: readonly CatalogTool[]): PinnedToolDefinition[] {
    return tools.flatMap((tool) =>
      tool.upstream === undefined
        ? []
        : [
            {
              server: tool.upstream.name,
              name: tool.definition.name,
              ...(tool.definition.title === undefined ? {} : { title: tool.definition.title }),
              ...(tool.definition.description === undefined
                ? {}
                : { description: tool.definition.description }),
              inputSchema: tool.definition.inputSchema,
              ...(tool.definition.outputSchema === undefined
                ? {}
                : { outputSchema: tool.definition.outputSchema }),
              ...(tool.definition.annotations === undefined
                ? {}
                : { annotations: tool.definition.annotations }),
            },
          ],
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }

  #entry(upstream: Upstream, tool: Tool): CatalogTool[] {
    if (!isAcceptableName(tool.name)) {
      this.#logger.warn({ upstream: upstream.name }, 'upstream tool with an unusable name skipped');
      return [];
    }
    const name = qualify(upstream.name, tool.name);
    const config = this.#tools.get(name);
    return [
      {
        name,
        upstream,
        definition: tool,
        config,
        argKinds: argumentKinds({ ...config, name, inputSchema: tool.inputSchema }),
      },
    ];
  }

  #decoys(): CatalogTool[] {
    return [...this.#tools.values()]
      .filter((tool) => tool.honeytoken === true)
      .map((tool) => ({
        name: tool.name,
        upstream: undefined,
        definition: {
          name: splitQualified(tool.name)?.name ?? tool.name,
          inputSchema: DECOY_SCHEMA,
        },
        config: tool,
        argKinds: argumentKinds(tool),
      }));
  }
}
